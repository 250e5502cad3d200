import { ProxyState } from './state';
import type { Snapshot } from './types';

const consumer = { id: 'c1', username: 'alice', custom_id: null };
const empty: Snapshot = { version: 1, services: [], routes: [], consumers: [], plugins: [], keyauth_credentials: [], basicauth_credentials: [], certificates: [], snis: [], ca_certificates: [], upstreams: [], targets: [] };

describe('ProxyState', () => {
  it('indexes credentials by digest and username and consumers by username', () => {
    const state = ProxyState.from({
      ...empty,
      consumers: [consumer],
      keyauth_credentials: [{ id: 'k1', consumer_id: 'c1', digest: 'd1', expires_at: null }],
      basicauth_credentials: [{ id: 'b1', consumer_id: 'c1', username: 'alice', digest: 'h1', algorithm: 'sha1' }],
    });
    expect(state.keyAuthByDigest.get('d1')?.id).toBe('k1');
    expect(state.basicAuthByUsername.get('alice')?.id).toBe('b1');
    expect(state.consumersByUsername.get('alice')).toEqual(consumer);
  });

  it('drops the old index entries when a row changes (a rotated key stops working at once)', () => {
    const state = ProxyState.from({ ...empty, consumers: [consumer], keyauth_credentials: [{ id: 'k1', consumer_id: 'c1', digest: 'old', expires_at: null }] });
    state.apply([{ op: 'put', table: 'keyauth_credentials', value: { id: 'k1', consumer_id: 'c1', digest: 'new', expires_at: null } }], 2);
    expect(state.keyAuthByDigest.has('old')).toBe(false);
    expect(state.keyAuthByDigest.get('new')?.id).toBe('k1');
    state.apply([{ op: 'put', table: 'consumers', value: { ...consumer, username: 'alicia' } }], 3);
    expect(state.consumersByUsername.has('alice')).toBe(false);
    expect(state.version).toBe(3);
  });

  it('cascades deletes of consumers, services and routes as the database does', () => {
    const state = ProxyState.from({
      ...empty,
      services: [{ id: 's1', name: 's', protocol: 'http', host: 'h', port: 80, path: null, retries: 5, connect_timeout: 1, read_timeout: 1, write_timeout: 1, enabled: true, tls_verify: null, ca_certificates: [] }],
      consumers: [consumer, { id: 'c2', username: 'bob', custom_id: null }],
      plugins: [
        { id: 'p-service', name: 'key-auth', enabled: true, config: {}, protocols: null, route_id: null, service_id: 's1', consumer_id: null },
        { id: 'p-consumer', name: 'x', enabled: true, config: {}, protocols: null, route_id: null, service_id: null, consumer_id: 'c1' },
        { id: 'p-global', name: 'basic-auth', enabled: true, config: {}, protocols: null, route_id: null, service_id: null, consumer_id: null },
      ],
      keyauth_credentials: [
        { id: 'k1', consumer_id: 'c1', digest: 'd1', expires_at: null },
        { id: 'k2', consumer_id: 'c2', digest: 'd2', expires_at: null },
      ],
      basicauth_credentials: [{ id: 'b1', consumer_id: 'c1', username: 'alice', digest: 'h1', algorithm: 'sha1' }],
    });
    const touched = state.apply([{ op: 'delete', table: 'consumers', id: 'c1' }], 2);
    expect([...touched].sort()).toEqual(['basicauth_credentials', 'consumers', 'keyauth_credentials', 'plugins']);
    expect([...state.tables.keyauth_credentials.keys()]).toEqual(['k2']);
    expect(state.keyAuthByDigest.has('d1')).toBe(false);
    expect(state.basicAuthByUsername.size).toBe(0);
    expect([...state.tables.plugins.keys()].sort()).toEqual(['p-global', 'p-service']);
    state.apply([{ op: 'delete', table: 'services', id: 's1' }], 3);
    expect([...state.tables.plugins.keys()]).toEqual(['p-global']);
  });

  it('round-trips through a snapshot', () => {
    const state = ProxyState.from({ ...empty, version: 7, consumers: [consumer] });
    expect(ProxyState.from(state.snapshot()).snapshot()).toEqual(state.snapshot());
  });
});
