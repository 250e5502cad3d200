import { createHash } from 'node:crypto';
import { silentLogger } from '@keygate/logging';
import { fakeContext } from '../../test/context';
import { CredentialHasher } from '../state/hasher';
import { ProxyState } from '../state/state';
import type { PluginData, Snapshot } from '../state/types';
import { BasicAuthPlugin } from './basic-auth';
import { PluginIndex } from './index-plugins';
import { KeyAuthPlugin } from './key-auth';

const { hasher } = CredentialHasher.random();
const alice = { id: '6375b5fd-9c95-4822-b2dd-80ffbccb7ec9', username: 'alice', custom_id: 'A-1' };
const anon = { id: 'a0000000-0000-4000-8000-000000000000', username: 'anonymous', custom_id: null };
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const snapshot: Snapshot = {
  version: 1,
  services: [],
  routes: [],
  plugins: [],
  consumers: [alice, anon],
  keyauth_credentials: [
    { id: 'k-alice', consumer_id: alice.id, digest: hasher.digest('alice-key'), expires_at: null },
    { id: 'k-expired', consumer_id: alice.id, digest: hasher.digest('old-key'), expires_at: Date.now() - 1000 },
  ],
  basicauth_credentials: [{ id: 'b-alice', consumer_id: alice.id, username: 'alice', digest: hasher.digest(sha1(`supersecretpassword${alice.id}`)), algorithm: 'sha1' }],
  certificates: [],
  snis: [],
  ca_certificates: [],
  upstreams: [],
  targets: [],
};
const deps = { state: ProxyState.from(snapshot), hasher };

const keyAuthDefaults = { key_names: ['apikey'], hide_credentials: false, anonymous: null, key_in_header: true, key_in_query: true, key_in_body: false, run_on_preflight: true, realm: null };
const plugin = (name: string, config: Record<string, unknown>, scope: Partial<PluginData> = {}): PluginData => ({
  id: `${name}-${Object.values(scope).join('-')}`,
  name,
  enabled: true,
  config,
  protocols: null,
  route_id: null,
  service_id: null,
  consumer_id: null,
  ...scope,
});
const keyAuth = (config: Record<string, unknown> = {}) => new KeyAuthPlugin(plugin('key-auth', { ...keyAuthDefaults, ...config }));
const basicAuth = (config: Record<string, unknown> = {}) => new BasicAuthPlugin(plugin('basic-auth', { anonymous: null, hide_credentials: false, realm: 'service', ...config }));
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('key-auth', () => {
  it("answers Kong's 401s with WWW-Authenticate: no key, duplicate key, unknown or expired key", () => {
    const challenge = { 'www-authenticate': 'Key' };
    expect(keyAuth().access(fakeContext(), deps)).toEqual({ status: 401, message: 'No API key found in request', headers: challenge });
    expect(keyAuth().access(fakeContext({ headers: { apikey: '' } }), deps)).toMatchObject({ message: 'No API key found in request' });
    expect(keyAuth().access(fakeContext({ headers: { apikey: ['a', 'b'] } }), deps)).toMatchObject({ message: 'Duplicate API key found' });
    expect(keyAuth().access(fakeContext({ query: 'apikey=a&apikey=b' }), deps)).toMatchObject({ message: 'Duplicate API key found' });
    expect(keyAuth().access(fakeContext({ headers: { apikey: 'nope' } }), deps)).toEqual({ status: 401, message: 'Unauthorized', headers: challenge });
    expect(keyAuth().access(fakeContext({ headers: { apikey: 'old-key' } }), deps)).toMatchObject({ message: 'Unauthorized' });
    expect(keyAuth({ realm: 'kong' }).access(fakeContext(), deps)?.headers).toEqual({ 'www-authenticate': 'Key realm="kong"' });
  });

  it('finds the key in a header (any case), then the query, per key name, and sets the consumer headers', () => {
    const ctx = fakeContext({ headers: { ApiKey: 'alice-key' } });
    expect(keyAuth().access(ctx, deps)).toBeUndefined();
    expect(Object.fromEntries(ctx.setHeaders)).toEqual({ 'x-consumer-id': alice.id, 'x-consumer-custom-id': 'A-1', 'x-consumer-username': 'alice', 'x-credential-identifier': 'k-alice' });
    expect([...ctx.clearHeaders]).toEqual(['x-anonymous-consumer']);
    expect(keyAuth().access(fakeContext({ query: 'apikey=alice-key' }), deps)).toBeUndefined();
    expect(keyAuth({ key_in_query: false }).access(fakeContext({ query: 'apikey=alice-key' }), deps)).toMatchObject({ message: 'No API key found in request' });
    expect(keyAuth({ key_names: ['x-token', 'apikey'] }).access(fakeContext({ query: 'apikey=alice-key' }), deps)).toBeUndefined();
    // The header wins over the query for the same name.
    expect(keyAuth().access(fakeContext({ headers: { apikey: 'nope' }, query: 'apikey=alice-key' }), deps)).toMatchObject({ message: 'Unauthorized' });
  });

  it('hides the key from the upstream request with hide_credentials', () => {
    const ctx = fakeContext({ headers: { apikey: 'alice-key' }, query: 'apikey=x&keep=1' });
    expect(keyAuth({ hide_credentials: true }).access(ctx, deps)).toBeUndefined();
    expect(ctx.clearHeaders.has('apikey')).toBe(true);
    expect(ctx.query).toBe('keep=1');
  });

  it('lets an anonymous consumer (by id or username) through, and fails with 500 when it does not exist', () => {
    const ctx = fakeContext();
    expect(keyAuth({ anonymous: 'anonymous' }).access(ctx, deps)).toBeUndefined();
    expect(Object.fromEntries(ctx.setHeaders)).toEqual({ 'x-consumer-id': anon.id, 'x-consumer-username': 'anonymous', 'x-anonymous-consumer': 'true' });
    expect(keyAuth({ anonymous: anon.id }).access(fakeContext({ headers: { apikey: 'nope' } }), deps)).toBeUndefined();
    expect(keyAuth({ anonymous: 'ghost' }).access(fakeContext(), deps)).toEqual({ status: 500, message: "anonymous consumer ghost is configured but doesn't exist" });
  });

  it('skips preflight requests when run_on_preflight is off', () => {
    expect(keyAuth({ run_on_preflight: false }).access(fakeContext({ method: 'OPTIONS' }), deps)).toBeUndefined();
    expect(keyAuth().access(fakeContext({ method: 'OPTIONS' }), deps)).toMatchObject({ status: 401 });
  });

  it('answers 400 when key_in_body is on and the body cannot be processed', () => {
    const ctx = fakeContext();
    ctx.bodyError = true;
    expect(keyAuth({ key_in_body: true }).access(ctx, deps)).toEqual({ status: 400, message: 'Cannot process request body' });
  });
});

describe('basic-auth', () => {
  const unauthorized = { status: 401, message: 'Unauthorized', headers: { 'www-authenticate': 'Basic realm="service"' } };

  it("checks Kong's hash sha1(password + consumer id) and sets the username as credential identifier", () => {
    const ctx = fakeContext({ headers: { Authorization: basic('alice', 'supersecretpassword') } });
    expect(basicAuth().access(ctx, deps)).toBeUndefined();
    expect(ctx.setHeaders.get('x-credential-identifier')).toBe('alice');
    expect(basicAuth().access(fakeContext({ headers: { Authorization: basic('alice', 'wrong') } }), deps)).toEqual(unauthorized);
    expect(basicAuth().access(fakeContext({ headers: { Authorization: basic('bob', 'supersecretpassword') } }), deps)).toEqual(unauthorized);
    expect(basicAuth().access(fakeContext(), deps)).toEqual({ ...unauthorized, reason: 'no_credentials' });
    expect(basicAuth().access(fakeContext({ headers: { Authorization: 'Basic !!!' } }), deps)).toEqual(unauthorized);
    expect(basicAuth().access(fakeContext({ headers: { Authorization: 'Bearer x' } }), deps)).toEqual(unauthorized);
    expect(basicAuth({ realm: 'kong' }).access(fakeContext(), deps)?.headers).toEqual({ 'www-authenticate': 'Basic realm="kong"' });
  });

  it('tries Proxy-Authorization before Authorization, and hides both when asked', () => {
    const both = { 'Proxy-Authorization': basic('nobody', 'x'), Authorization: basic('alice', 'supersecretpassword') };
    expect(basicAuth().access(fakeContext({ headers: both }), deps)).toBeUndefined();
    const wrongProxy = { 'Proxy-Authorization': basic('alice', 'wrong'), Authorization: basic('alice', 'supersecretpassword') };
    expect(basicAuth().access(fakeContext({ headers: wrongProxy }), deps)).toEqual(unauthorized);
    const ctx = fakeContext({ headers: both });
    basicAuth({ hide_credentials: true }).access(ctx, deps);
    expect([...ctx.clearHeaders].filter((h) => h.endsWith('authorization')).sort()).toEqual(['authorization', 'proxy-authorization']);
  });

  it('accepts a password with colons and an empty one (split at the first colon)', () => {
    const id = 'c0000000-0000-4000-8000-000000000001';
    const state = ProxyState.from({ ...snapshot, consumers: [{ id, username: 'c', custom_id: null }], basicauth_credentials: [{ id: 'b', consumer_id: id, username: 'c', digest: hasher.digest(sha1(`a:b:c${id}`)), algorithm: 'sha1' }] });
    expect(basicAuth().access(fakeContext({ headers: { Authorization: basic('c', 'a:b:c') } }), { state, hasher })).toBeUndefined();
  });

  it("verifies Kong EE's FIPS SHA-256 hashes", () => {
    const id = alice.id;
    const hash = createHash('sha256').update(`pw${id}`).digest('hex');
    const state = ProxyState.from({ ...snapshot, basicauth_credentials: [{ id: 'b', consumer_id: id, username: 'alice', digest: hasher.digest(hash), algorithm: 'sha256' }] });
    expect(basicAuth().access(fakeContext({ headers: { Authorization: basic('alice', 'pw') } }), { state, hasher })).toBeUndefined();
  });

  it('is skipped when another auth plugin authenticated and anonymous is set (logical OR)', () => {
    const ctx = fakeContext({ headers: { apikey: 'alice-key' } });
    keyAuth({ anonymous: 'anonymous' }).access(ctx, deps);
    expect(basicAuth({ anonymous: 'anonymous' }).access(ctx, deps)).toBeUndefined();
    expect(ctx.setHeaders.get('x-credential-identifier')).toBe('k-alice');
  });
});

describe('PluginIndex (Kong plugins iterator)', () => {
  const R = 'route-1';
  const S = 'service-1';
  it('picks the most specific configuration per plugin name, and runs key-auth before basic-auth', () => {
    const index = new PluginIndex(
      [
        plugin('key-auth', { ...keyAuthDefaults, realm: 'global' }),
        plugin('key-auth', { ...keyAuthDefaults, realm: 'service' }, { service_id: S }),
        plugin('key-auth', { ...keyAuthDefaults, realm: 'route+service' }, { route_id: R, service_id: S }),
        plugin('basic-auth', { anonymous: null, hide_credentials: false, realm: 'x' }, { route_id: R }),
      ],
      silentLogger(),
    );
    const realm = (list: readonly { name: string }[]) => (list[0] as KeyAuthPlugin).access(fakeContext(), deps)?.headers?.['www-authenticate'];
    expect(index.forRoute(R, S).map((p) => p.name)).toEqual(['key-auth', 'basic-auth']);
    expect(realm(index.forRoute(R, S))).toBe('Key realm="route+service"');
    expect(realm(index.forRoute('other', S))).toBe('Key realm="service"');
    expect(realm(index.forRoute('other', 'other'))).toBe('Key realm="global"');
  });

  it('ignores disabled plugins and plugins for other protocols; fails closed on plugins it cannot run', () => {
    const index = new PluginIndex(
      [
        { ...plugin('key-auth', keyAuthDefaults, { route_id: R }), enabled: false },
        { ...plugin('basic-auth', { anonymous: null, hide_credentials: false, realm: 'x' }), protocols: ['grpc'] },
        { ...plugin('jwt', {}), config: null, invalid: 'not enabled' },
      ],
      silentLogger(),
    );
    const list = index.forRoute(R, undefined);
    expect(list.map((p) => p.name)).toEqual(['jwt']);
    expect(list[0]!.access(fakeContext(), deps)).toEqual({ status: 500, message: 'An unexpected error occurred' });
  });
});
