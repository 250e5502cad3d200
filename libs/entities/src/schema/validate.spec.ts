import { consumers } from '../definitions/consumers';
import { pluginsDefinition } from '../definitions/plugins';
import { routes } from '../definitions/routes';
import { services } from '../definitions/services';
import { PluginRegistry } from '../plugins/registry';
import { EntityError } from './errors';
import { inferForm, validateEntity } from './validate';

const ID = '6375b5fd-9c95-4822-b2dd-80ffbccb7ec9';
const base = { id: ID, created_at: 1, updated_at: 1 };
const plugins = pluginsDefinition(new PluginRegistry(['bundled']));

function violation(fn: () => unknown): EntityError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EntityError);
    return err as EntityError;
  }
  throw new Error('expected a schema violation');
}

describe('consumers', () => {
  it('needs a username or a custom_id (Kong spec body)', () => {
    const err = violation(() => validateEntity(consumers, { ...base }, { operation: 'insert' }));
    expect(err.toBody()).toEqual({
      code: 2,
      name: 'schema violation',
      message: "schema violation (at least one of these fields must be non-empty: 'custom_id', 'username')",
      fields: { '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"] },
    });
  });

  it('returns every field, unset ones as null', () => {
    expect(validateEntity(consumers, { ...base, username: 'bob' }, { operation: 'insert' })).toEqual({
      ...base,
      username: 'bob',
      custom_id: null,
      tags: null,
    });
  });

  it('reports unknown fields and wrong types together, sorted', () => {
    const err = violation(() => validateEntity(consumers, { ...base, username: 5, foo: 'bar' }, { operation: 'insert' }));
    expect(err.message).toBe('2 schema violations (foo: unknown field; username: expected a string)');
    expect(err.fields).toEqual({ foo: 'unknown field', username: 'expected a string' });
  });
});

describe('services', () => {
  it("expands Kong's url shorthand with the scheme's default port", () => {
    const s = validateEntity(services, { ...base, url: 'https://api.example.com/v1/things' }, { operation: 'insert' });
    expect(s).toMatchObject({ protocol: 'https', host: 'api.example.com', port: 443, path: '/v1/things' });
    const plain = validateEntity(services, { ...base, url: 'http://10.0.0.1:9000' }, { operation: 'insert' });
    expect(plain).toMatchObject({ protocol: 'http', host: '10.0.0.1', port: 9000, path: null });
    expect(plain).not.toHaveProperty('url');
  });

  it("applies Kong's defaults", () => {
    expect(validateEntity(services, { ...base, host: 'example.com' }, { operation: 'insert' })).toMatchObject({
      protocol: 'http',
      port: 80,
      retries: 5,
      connect_timeout: 60000,
      read_timeout: 60000,
      write_timeout: 60000,
      enabled: true,
    });
  });

  it.each([
    [{ host: 'example.com', port: 70000 }, { port: 'value should be between 0 and 65535' }],
    [{ host: 'example.com', protocol: 'ftp' }, { protocol: 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp, ws, wss' }],
    [{}, { host: 'required field missing' }],
    [{ host: 'example.com', path: 'no-slash' }, { path: 'should start with: /' }],
    [{ url: 'not a url' }, { url: 'missing host in url' }],
    [{ host: 'bad host!' }, { host: 'invalid value: bad host!' }],
    [{ host: 'example.com', name: 'has space' }, { name: "invalid value 'has space': the only accepted ascii characters are alphanumerics or ., -, _, and ~" }],
    [{ host: 'example.com', connect_timeout: 1.5 }, { connect_timeout: 'expected an integer' }],
  ])('rejects %j', (input, fields) => {
    expect(violation(() => validateEntity(services, { ...base, ...input }, { operation: 'insert' })).fields).toEqual(fields);
  });
});

describe('routes', () => {
  it("needs something to match on (Kong's message for the default protocols)", () => {
    const err = violation(() => validateEntity(routes, { ...base }, { operation: 'insert' }));
    expect(err.fields).toEqual({ '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'"] });
  });

  it('accepts prefix and regex paths, and rejects others with their index', () => {
    expect(validateEntity(routes, { ...base, paths: ['/a', '~/b/\\d+$'] }, { operation: 'insert' })).toMatchObject({
      strip_path: true,
      preserve_host: false,
      regex_priority: 0,
      https_redirect_status_code: 426,
      protocols: ['http', 'https'],
    });
    const err = violation(() => validateEntity(routes, { ...base, paths: ['/ok', 'bad'] }, { operation: 'insert' }));
    expect(err.fields).toEqual({ paths: [null, 'should start with: / (fixed path) or ~/ (regex path)'] });
    expect(err.message).toBe('schema violation (paths.2: should start with: / (fixed path) or ~/ (regex path))');
  });

  it('refuses a host header in headers', () => {
    const err = violation(() => validateEntity(routes, { ...base, headers: { Host: ['x'] } }, { operation: 'insert' }));
    expect(err.fields).toEqual({ headers: { Host: "cannot contain 'host' header, which must be specified in the 'hosts' attribute" } });
  });

  it('drops duplicate methods (a set)', () => {
    expect(validateEntity(routes, { ...base, methods: ['GET', 'GET', 'POST'] }, { operation: 'insert' }).methods).toEqual(['GET', 'POST']);
  });
});

describe('plugins', () => {
  it("fills the plugin's config defaults and protocols", () => {
    const p = validateEntity(plugins, { ...base, name: 'key-auth' }, { operation: 'insert' });
    expect(p.config).toEqual({
      key_names: ['apikey'],
      hide_credentials: false,
      anonymous: null,
      key_in_header: true,
      key_in_query: true,
      key_in_body: false,
      run_on_preflight: true,
      realm: null,
    });
    expect(p.protocols).toEqual(['grpc', 'grpcs', 'http', 'https', 'ws', 'wss']);
  });

  it('reports config errors under config.<field>', () => {
    const err = violation(() => validateEntity(plugins, { ...base, name: 'basic-auth', config: { hide_credentials: 'yes', nope: 1 } }, { operation: 'insert' }));
    expect(err.fields).toEqual({ config: { hide_credentials: 'expected a boolean', nope: 'unknown field' } });
    expect(err.message).toBe('2 schema violations (config.hide_credentials: expected a boolean; config.nope: unknown field)');
  });

  it('refuses unknown plugins and consumer-scoped auth plugins', () => {
    expect(violation(() => validateEntity(plugins, { ...base, name: 'rate-limiting' }, { operation: 'insert' })).fields).toEqual({
      name: "plugin 'rate-limiting' not enabled; add it to the 'plugins' configuration property",
    });
    expect(violation(() => validateEntity(plugins, { ...base, name: 'key-auth', consumer: { id: ID } }, { operation: 'insert' })).fields).toEqual({
      consumer: 'value must be null',
    });
  });

  it("infers a form body's types from the plugin's own schema", () => {
    const input = inferForm(plugins, { name: 'key-auth', config: { key_names: 'x-api-key', hide_credentials: 'true' }, enabled: 'false' });
    expect(input).toEqual({ name: 'key-auth', config: { key_names: ['x-api-key'], hide_credentials: true }, enabled: false });
  });
});

describe('form inference', () => {
  it('turns strings into numbers, booleans and arrays where the schema says so', () => {
    expect(inferForm(services, { port: '8080', retries: '3', enabled: 'true', host: 'h', ca_certificates: ID })).toEqual({
      port: 8080,
      retries: 3,
      enabled: true,
      host: 'h',
      ca_certificates: [ID],
    });
    expect(inferForm(routes, { paths: { 1: '/a', 2: '/b' }, headers: { 'x-v': 'one' } })).toEqual({ paths: ['/a', '/b'], headers: { 'x-v': ['one'] } });
  });

  it('leaves values that are not valid for the type as they are, so validation names them', () => {
    expect(inferForm(services, { port: 'eighty' })).toEqual({ port: 'eighty' });
  });
});
