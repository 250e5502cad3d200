import { loadConfig } from '@keygate/config';
import { connectionSettings } from './settings';

const load = (env: Record<string, string>) => loadConfig({ env, defaultPaths: [] }).then((l) => l.config);

describe('connectionSettings', () => {
  it('has no read-only connection unless pg_ro_host is set', async () => {
    expect(connectionSettings(await load({}), 'ro')).toBeUndefined();
  });

  it('falls back to pg_* for every unset pg_ro_* key', async () => {
    const config = await load({
      KONG_PG_HOST: 'primary',
      KONG_PG_USER: 'rw_user',
      KONG_PG_PASSWORD: 'rw-pass',
      KONG_PG_DATABASE: 'gw',
      KONG_PG_TIMEOUT: '3000',
      KONG_PG_RO_HOST: 'replica',
      KONG_PG_RO_USER: 'ro_user',
    });
    const rw = connectionSettings(config, 'rw')!;
    const ro = connectionSettings(config, 'ro')!;
    expect([rw.host, rw.user, rw.database]).toEqual(['primary', 'rw_user', 'gw']);
    expect([ro.host, ro.user, ro.database, ro.timeoutMs, ro.port]).toEqual(['replica', 'ro_user', 'gw', 3000, 5432]);
    expect((await ro.password())?.reveal()).toBe('rw-pass');
  });

  it("caps the pool with pg_max_concurrent_queries and defaults to 10 connections", async () => {
    expect(connectionSettings(await load({}), 'rw')!.poolSize).toBe(10);
    expect(connectionSettings(await load({ KONG_PG_MAX_CONCURRENT_QUERIES: '3' }), 'rw')!.poolSize).toBe(3);
    expect(connectionSettings(await load({ KONG_PG_POOL_SIZE: '40' }), 'rw')!.poolSize).toBe(40);
  });

  it('builds TLS options from pg_ssl, pg_ssl_verify and pg_ssl_version', async () => {
    expect(connectionSettings(await load({}), 'rw')!.ssl).toBe(false);
    const tls = connectionSettings(await load({ KONG_PG_SSL: 'on', KONG_PG_SSL_VERIFY: 'on', KONG_PG_SSL_VERSION: 'tlsv1_3' }), 'rw')!.ssl;
    expect(tls).toMatchObject({ rejectUnauthorized: true, minVersion: 'TLSv1.3' });
  });

  it('names the setting when a certificate file cannot be read', async () => {
    const config = await load({ KONG_PG_SSL: 'on', KONG_PG_SSL_CERT: '/nonexistent/c.pem', KONG_PG_SSL_CERT_KEY: '/nonexistent/k.pem' });
    expect(() => connectionSettings(config, 'rw')).toThrow('pg_ssl_cert: cannot read /nonexistent/c.pem: ENOENT');
  });
});
