import type { ListenAddress } from '@keygate/config';
import { silentLogger } from '@keygate/logging';
import { createNodeInfo } from './node-info';
import { StatusServer } from './status-server';

const listen: ListenAddress[] = [{ host: '127.0.0.1', port: 0, ssl: false, http2: false, reuseport: false, text: '127.0.0.1:0' }];

async function ready(server: StatusServer): Promise<{ status: number; message: string }> {
  const { host, port } = server.bound[0]!;
  const res = await fetch(`http://${host}:${port}/status/ready`);
  return { status: res.status, message: ((await res.json()) as { message: string }).message };
}

describe('StatusServer', () => {
  it('is ready only between markStarted and markStopping', async () => {
    const server = new StatusServer({ node: createNodeInfo('admin'), listen, logger: silentLogger() });
    await server.start();
    try {
      expect(await ready(server)).toEqual({ status: 503, message: 'node is starting' });
      server.markStarted();
      expect(await ready(server)).toEqual({ status: 200, message: 'ready' });
      server.addReadinessCheck(async () => 'database unreachable');
      expect(await ready(server)).toEqual({ status: 503, message: 'database unreachable' });
      server.markStopping();
      expect(await ready(server)).toEqual({ status: 503, message: 'node is shutting down' });
    } finally {
      await server.stop();
    }
  });

  it('stops harmlessly twice, and before it started', async () => {
    const never = new StatusServer({ node: createNodeInfo('proxy'), listen, logger: silentLogger() });
    await expect(never.stop()).resolves.toBeUndefined();
    const server = new StatusServer({ node: createNodeInfo('proxy'), listen, logger: silentLogger() });
    await server.start();
    const { host, port } = server.bound[0]!;
    await server.stop();
    await expect(server.stop()).resolves.toBeUndefined();
    await expect(fetch(`http://${host}:${port}/status`)).rejects.toThrow();
  });
});
