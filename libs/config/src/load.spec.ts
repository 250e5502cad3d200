import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConfigError } from './errors';
import { KEYS } from './keys';
import { loadConfig, type LoadConfigOptions } from './load';
import { displaySettings, redactedConfig } from './display';

const dir = mkdtempSync(join(tmpdir(), 'keygate-config-'));
let fileCount = 0;
function confFile(text: string): string {
  const path = join(dir, `kong-${++fileCount}.conf`);
  writeFileSync(path, text);
  return path;
}
const load = (options: LoadConfigOptions = {}) => loadConfig({ env: {}, defaultPaths: [], ...options });

async function configError(options: LoadConfigOptions): Promise<ConfigError> {
  const error = await load(options).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('loadConfig', () => {
  it("applies Kong's defaults", async () => {
    const { config, warnings } = await load();
    expect(config.pg_host).toBe('127.0.0.1');
    expect(config.pg_port).toBe(5432);
    expect(config.pg_user).toBe('kong');
    expect(config.pg_database).toBe('kong');
    expect(config.pg_timeout).toBe(5000);
    expect(config.pg_ssl).toBe(false);
    expect(config.pg_password).toBeUndefined();
    expect(config.pg_ro_host).toBeUndefined();
    expect(config.log_level).toBe('notice');
    expect(config.keyring_strategy).toBe('cluster');
    expect(config.keyring_vault_kube_role).toBe('default');
    expect(config.admin_listen.map((l) => [l.host, l.port, l.ssl])).toEqual([
      ['127.0.0.1', 8001, false],
      ['127.0.0.1', 8444, true],
    ]);
    expect(config.status_listen[0]).toMatchObject({ host: '127.0.0.1', port: 8007, reuseport: true, backlog: 16384 });
    expect(warnings).toEqual([]);
  });

  it('gives every key with a default a valid default', async () => {
    const { config } = await load();
    for (const [key, spec] of Object.entries(KEYS)) {
      if ('default' in spec && spec.default !== undefined) expect(config[key as keyof typeof config]).toBeDefined();
    }
  });

  it('reads the file, and KONG_* env wins over it', async () => {
    const file = confFile('pg_host = file-host\npg_port = 6000\nlog_level = debug\n');
    const { config, sources } = await load({ file, env: { KONG_PG_PORT: '7000' } });
    expect(config.pg_host).toBe('file-host');
    expect(config.pg_port).toBe(7000);
    expect(config.log_level).toBe('debug');
    expect(sources.get('pg_host')).toEqual({ kind: 'file', file, line: 1 });
    expect(sources.get('pg_port')).toEqual({ kind: 'env', name: 'KONG_PG_PORT' });
  });

  it('uses programmatic defaults only where no layer sets the key, and validates with them', async () => {
    const defaults = { keyring_cluster_secret: 'generated-secret-value-0123456789' };
    const withDefault = await load({ env: { KONG_ENFORCE_RBAC: 'on' }, defaults });
    expect(withDefault.config.keyring_cluster_secret?.reveal()).toBe(defaults.keyring_cluster_secret);
    expect(withDefault.sources.get('keyring_cluster_secret')).toEqual({ kind: 'override', name: 'default keyring_cluster_secret' });
    const file = confFile('keyring_cluster_secret = from-the-file-0123456789abcdef\n');
    const fromFile = await load({ file, env: { KONG_ENFORCE_RBAC: 'on' }, defaults });
    expect(fromFile.config.keyring_cluster_secret?.reveal()).toBe('from-the-file-0123456789abcdef');
    expect((await configError({ env: { KONG_ENFORCE_RBAC: 'on' } })).message).toContain('keyring_cluster_secret');
  });

  it('finds the file through KONG_CONF', async () => {
    const file = confFile('pg_database = from_kong_conf\n');
    const { config, file: used } = await load({ env: { KONG_CONF: file } });
    expect(used).toBe(file);
    expect(config.pg_database).toBe('from_kong_conf');
  });

  it('fails clearly when the named file does not exist', async () => {
    const error = await configError({ file: join(dir, 'missing.conf') });
    expect(error.message).toContain('configuration file not found');
  });

  it('treats an empty value as unset', async () => {
    const file = confFile('pg_database = other\n');
    const { config } = await load({ file, env: { KONG_PG_DATABASE: '' } });
    expect(config.pg_database).toBe('kong');
  });

  it('names the key, the env var and the expected form for a bad value', async () => {
    const error = await configError({ env: { KONG_PG_PORT: 'notaport' } });
    expect(error.issues).toHaveLength(1);
    expect(error.message).toContain('pg_port');
    expect(error.message).toContain('KONG_PG_PORT');
    expect(error.message).toContain('expected an integer between 1 and 65535, got "notaport"');
  });

  it('names the file and line for a bad value in the file', async () => {
    const file = confFile('# header\npg_timeout = soon\n');
    const error = await configError({ file });
    expect(error.message).toContain(`pg_timeout (${file}:2): expected an integer of at least 1, got "soon"`);
  });

  it('reports every error at once', async () => {
    const error = await configError({ env: { KONG_PG_PORT: '0', KONG_PG_SSL: 'maybe', KONG_LOG_LEVEL: 'loud' } });
    expect(error.issues.map((i) => i.key).sort()).toEqual(['log_level', 'pg_port', 'pg_ssl']);
    expect(error.message).toContain('pg_ssl (env KONG_PG_SSL): expected on or off');
  });

  it('accepts on/off and true/false but rejects other boolean words', async () => {
    expect((await load({ env: { KONG_PG_SSL: 'on' } })).config.pg_ssl).toBe(true);
    expect((await load({ env: { KONG_PG_SSL: 'TRUE' } })).config.pg_ssl).toBe(true);
    expect((await load({ env: { KONG_PG_SSL: 'off' } })).config.pg_ssl).toBe(false);
    await configError({ env: { KONG_PG_SSL: 'onn' } });
  });

  it('never prints a secret value, even when it is invalid or shown', async () => {
    const planted = 'planted-secret-4f1c';
    const { config } = await load({ env: { KONG_PG_PASSWORD: planted, KONG_KEYRING_CLUSTER_SECRET: planted } });
    expect(config.pg_password?.reveal()).toBe(planted);
    const loaded = await load({ env: { KONG_PG_PASSWORD: planted } });
    expect(JSON.stringify(redactedConfig(loaded))).not.toContain(planted);
    expect(inspect(loaded, { depth: 20 })).not.toContain(planted);
    expect(JSON.stringify(displaySettings(loaded))).not.toContain(planted);
    const error = await configError({ env: { KONG_REDIS_URL: `ftp://user:${planted}@host` } });
    expect(error.message).toContain('redis_url');
    expect(error.message).not.toContain(planted);
  });

  it('masks the password of redis_url', async () => {
    const loaded = await load({ env: { KONG_REDIS_URL: 'redis://user:pw-9932@cache:6380/2' } });
    expect(loaded.config.redis_url.reveal()).toBe('redis://user:pw-9932@cache:6380/2');
    expect(redactedConfig(loaded).redis_url).toBe('redis://user:REDACTED@cache:6380/2');
  });

  it('warns about unknown keys instead of failing', async () => {
    const file = confFile('nginx_worker_processes = 2\n');
    const { warnings } = await load({ file, env: { KONG_NOT_A_KEY: 'x' } });
    expect(warnings).toEqual([
      `unknown configuration key 'nginx_worker_processes' in ${file}:1 (ignored)`,
      'unknown configuration variable KONG_NOT_A_KEY (ignored)',
    ]);
  });

  it("accepts Kong's dynamic vault_<name>_<field> keys", async () => {
    const { config, warnings } = await load({ env: { KONG_VAULT_AWS_REGION: 'eu-west-1', KONG_VAULT_HCV_TOKEN: 'tok' } });
    expect(warnings).toEqual([]);
    expect(config.vault_options).toEqual({ vault_aws_region: 'eu-west-1', vault_hcv_token: 'tok' });
  });

  it('keeps vault references out of validation when asked to', async () => {
    const env = { KONG_PG_USER: '{vault://aws/kong-gateway-database/pg_user}', KONG_PG_PORT: '{vault://env/pg-port}' };
    const loaded = await load({ env, allowUnresolved: true });
    expect(loaded.unresolved).toEqual(new Set(['pg_user', 'pg_port']));
    expect(redactedConfig(loaded).pg_user).toBe('{vault://aws/kong-gateway-database/pg_user}');
  });

  it('refuses an unresolved reference when there is no resolver', async () => {
    const error = await configError({ env: { KONG_PG_USER: '{vault://aws/db/pg_user}' } });
    expect(error.message).toContain('pg_user (env KONG_PG_USER): {vault://aws/db/pg_user} is a vault reference');
  });

  it('validates resolved values and keeps them out of messages', async () => {
    const resolve = async (ref: { reference: string }) => (ref.reference.includes('port') ? 'not-a-port-77' : 'svc_user');
    const ok = await load({ env: { KONG_PG_USER: '{vault://env/user}' }, resolve });
    expect(ok.config.pg_user).toBe('svc_user');
    expect(redactedConfig(ok).pg_user).toBe('{vault://env/user}');
    const error = await configError({ env: { KONG_PG_PORT: '{vault://env/port}' }, resolve });
    expect(error.message).toContain('pg_port');
    expect(error.message).not.toContain('not-a-port-77');
  });

  it('reports a reference that cannot be resolved with its key and cause', async () => {
    const resolve = async () => {
      throw new Error('secret not found');
    };
    const error = await configError({ env: { KONG_PG_PASSWORD: '{vault://aws/db/pg_password}' }, resolve });
    expect(error.message).toContain('pg_password (env KONG_PG_PASSWORD): cannot resolve {vault://aws/db/pg_password}: secret not found');
  });

  it('parses listen values, including off and IPv6', async () => {
    const { config } = await load({
      env: { KONG_PROXY_LISTEN: '[::1]:9000 http2, 0.0.0.0:0', KONG_ADMIN_LISTEN: 'off' },
    });
    expect(config.proxy_listen.map((l) => [l.host, l.port, l.http2])).toEqual([
      ['::1', 9000, true],
      ['0.0.0.0', 0, false],
    ]);
    expect(config.admin_listen).toEqual([]);
    const error = await configError({ env: { KONG_ADMIN_LISTEN: '127.0.0.1:8001 turbo' } });
    expect(error.message).toContain("unknown flag 'turbo'");
  });

  it('keeps the origins of admin_gui_url and refuses a URL that is not http(s)', async () => {
    const { config } = await load({ env: { KONG_ADMIN_GUI_URL: 'https://manager.example.com/path, http://localhost:8002' } });
    expect(config.admin_gui_url).toEqual(['https://manager.example.com', 'http://localhost:8002']);
    expect((await load()).config.admin_gui_url).toBeUndefined();
    const error = await configError({ env: { KONG_ADMIN_GUI_URL: 'javascript:alert(1)' } });
    expect(error.message).toContain('admin_gui_url');
  });

  it('requires both halves of a client certificate', async () => {
    const error = await configError({ env: { KONG_PG_SSL_CERT: '/etc/pg.crt' } });
    expect(error.message).toContain('pg_ssl_cert_key');
    expect(error.message).toContain('must be set together with pg_ssl_cert');
  });

  it('refuses unreadable or wrong-kind keyring RSA keys, naming the setting and the file', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const privatePath = confFile(pair.privateKey);
    const missing = await configError({ env: { KONG_KEYRING_ENABLED: 'on', KONG_KEYRING_RECOVERY_PUBLIC_KEY: '/nonexistent/cert.pem' } });
    expect(missing.message).toContain('keyring_recovery_public_key (env KONG_KEYRING_RECOVERY_PUBLIC_KEY): failed to read file /nonexistent/cert.pem');
    const wrongKind = await configError({ env: { KONG_KEYRING_ENABLED: 'on', KONG_KEYRING_PUBLIC_KEY: privatePath } });
    expect(wrongKind.message).toContain(`keyring_public_key (env KONG_KEYRING_PUBLIC_KEY): ${privatePath} must be a public key`);
    expect(wrongKind.message).not.toContain('PRIVATE KEY');
    const ok = await load({ env: { KONG_KEYRING_ENABLED: 'on', KONG_KEYRING_PRIVATE_KEY: privatePath, KONG_KEYRING_PUBLIC_KEY: Buffer.from(pair.publicKey).toString('base64') } });
    expect(ok.config.keyring_enabled).toBe(true);
    // With the keyring off, the keys are not read.
    await load({ env: { KONG_KEYRING_RECOVERY_PUBLIC_KEY: '/nonexistent/cert.pem' } });
  });

  it('needs the Vault address, mount, path and token for the vault strategy', async () => {
    const error = await configError({ env: { KONG_KEYRING_ENABLED: 'on', KONG_KEYRING_STRATEGY: 'vault' } });
    expect(error.issues.map((i) => i.key).sort()).toEqual(['keyring_vault_host', 'keyring_vault_mount', 'keyring_vault_path', 'keyring_vault_token']);
  });

  it('pairs listener certificates with keys (Kong\'s rule) and never prints a key', async () => {
    const noKey = await configError({ env: { KONG_ADMIN_SSL_CERT: '/etc/admin.crt' } });
    expect(noKey.message).toContain('admin_ssl_cert_key (env KONG_ADMIN_SSL_CERT): must be specified (admin_ssl_cert is set)');
    const counts = await configError({ env: { KONG_STATUS_SSL_CERT: '/a.crt,/b.crt', KONG_STATUS_SSL_CERT_KEY: '/a.key' } });
    expect(counts.message).toContain('status_ssl_cert (env KONG_STATUS_SSL_CERT): was specified 2 times while status_ssl_cert_key was specified 1 times');
    const loaded = await load({ env: { KONG_ADMIN_GUI_SSL_CERT: '/gui.crt', KONG_ADMIN_GUI_SSL_CERT_KEY: '-----BEGIN PRIVATE KEY-----x' } });
    expect(loaded.config.admin_gui_ssl_cert).toEqual(['/gui.crt']);
    expect(inspect(loaded.config)).not.toContain('BEGIN PRIVATE');
    expect(displaySettings(loaded).find((row) => row.key === 'admin_gui_ssl_cert_key')?.value).toBe('[REDACTED]');
  });

  it('accepts TLSv1.2/TLSv1.3 in ssl_protocols and refuses older versions and Kong\'s old/fips suites', async () => {
    expect((await load({ env: { KONG_SSL_PROTOCOLS: 'TLSv1.3  TLSv1.2' } })).config.ssl_protocols).toEqual(['TLSv1.2', 'TLSv1.3']);
    expect((await configError({ env: { KONG_SSL_PROTOCOLS: 'TLSv1.1 TLSv1.2' } })).message).toContain('ssl_protocols (env KONG_SSL_PROTOCOLS): expected TLSv1.2 and/or TLSv1.3');
    expect((await configError({ env: { KONG_SSL_CIPHER_SUITE: 'old' } })).message).toContain('ssl_cipher_suite (env KONG_SSL_CIPHER_SUITE): expected one of: modern, intermediate, custom');
  });

  it('returns a frozen object', async () => {
    const { config } = await load();
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { pg_host: string }).pg_host = 'x';
    }).toThrow();
  });
});
