import { AppProcess, TcpProxy, testServices, useTestDatabase } from '@keygate/testing';

const database = useTestDatabase();

describe('Admin API while PostgreSQL is unreachable', () => {
  it('answers 503 quickly (no hang), reports not ready, and recovers when the database is back', async () => {
    const { pg } = testServices();
    const proxy = new TcpProxy(pg.host, pg.port);
    const port = await proxy.start();
    const admin = await AppProcess.start('admin', { env: { ...database.get().env(), KONG_PG_PORT: String(port), KONG_PG_TIMEOUT: '2000' } });
    try {
      const base = admin.url('admin');
      expect((await fetch(`${base}/consumers`, { method: 'POST', body: 'username=before', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(201);

      await proxy.cut();
      const started = Date.now();
      const res = await fetch(`${base}/consumers`, { signal: AbortSignal.timeout(10_000) });
      const body = (await res.json()) as { message: string; request_id: string };
      expect(res.status).toBe(503);
      expect(body.message).toBe('The database is currently unavailable');
      expect(Date.now() - started).toBeLessThan(8000);
      // the request id in the body is the one in the log line that explains the failure
      await admin.waitForLine((line) => line.includes(body.request_id) && line.includes('request failed'));
      const ready = await fetch(`${admin.url('status')}/status/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ message: 'database is not reachable' });

      await proxy.restore();
      const deadline = Date.now() + 15_000;
      let status = 0;
      while (Date.now() < deadline && status !== 200) {
        status = (await fetch(`${base}/consumers/before`)).status;
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(status).toBe(200);
      expect((await fetch(`${admin.url('status')}/status/ready`)).status).toBe(200);
    } finally {
      await admin.stop();
      await proxy.stop();
    }
  });
});
