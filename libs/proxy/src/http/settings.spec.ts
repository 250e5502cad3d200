import { loadConfig } from '@keygate/config';
import { proxySettings } from './settings';

const settings = async (env: Record<string, string>) => proxySettings((await loadConfig({ env, defaultPaths: [] })).config, '1.2.3');

describe('proxySettings (Kong headers, headers_upstream, trusted_ips, keep-alive)', () => {
  it("has Kong's defaults", async () => {
    expect(await settings({})).toEqual({
      version: '1.2.3',
      headers: { server: true, via: true, proxyLatency: true, upstreamLatency: true, responseLatency: true, requestId: true },
      upstreamRequestId: true,
      errorDefaultType: 'text/plain',
      trustedIps: [],
      keepalive: { poolSize: 512, maxRequests: 10000, idleTimeoutMs: 60000 },
    });
  });

  it('turns headers off, or picks single ones', async () => {
    const off = await settings({ KONG_HEADERS: 'off', KONG_HEADERS_UPSTREAM: 'off' });
    expect(Object.values(off.headers).every((v) => v === false)).toBe(true);
    expect(off.upstreamRequestId).toBe(false);
    expect((await settings({ KONG_HEADERS: 'Via, X-Kong-Upstream-Latency' })).headers).toEqual({ server: false, via: true, proxyLatency: false, upstreamLatency: true, responseLatency: false, requestId: false });
  });
});
