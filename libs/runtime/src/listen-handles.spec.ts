import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { processEnv } from '@keygate/config';
import { freePort, REPO_ROOT } from '@keygate/testing';
import { bindListenHandle, LISTEN_HANDLES_ENV, ListenHandles } from './listen-handles';

/**
 * A child as a role is one: `listenAll` (the built runtime) on the entries it is given, answering
 * `GET /` with its pid; it reports what it bound, or why it could not, and drains on `stop`.
 */
const CHILD = `
const { listenAll, closeServers, httpServer } = require('@keygate/runtime');
const { silentLogger } = require('@keygate/logging');
const entries = JSON.parse(process.argv[1]).map((e) => ({ ssl: false, http2: false, reuseport: false, text: e.host + ':' + e.port, ...e }));
listenAll('test', entries, httpServer((req, res) => res.end(String(process.pid))), silentLogger()).then(
  ({ servers, bound }) => {
    process.send({ t: 'bound', ports: bound.map((b) => b.port) });
    process.on('message', (m) => m === 'stop' && closeServers(servers).then(() => process.exit(0)));
  },
  (err) => process.send({ t: 'failed', message: err.message }, () => process.exit(1)),
);
`;

interface Started {
  readonly child: ChildProcess;
  readonly result: { t: 'bound'; ports: number[] } | { t: 'failed'; message: string };
}

function startChild(handles: ListenHandles, entries: Array<{ host: string; port: number }>): Promise<Started> {
  const child = spawn(process.execPath, ['-e', CHILD, JSON.stringify(entries)], { cwd: REPO_ROOT, env: { ...processEnv(), [LISTEN_HANDLES_ENV]: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  handles.serve(child);
  return new Promise((resolve, reject) => {
    child.on('message', (message: Started['result']) => {
      if (message.t === 'bound' || message.t === 'failed') resolve({ child, result: message });
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before listening`)));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send('stop');
  await exited;
}

const get = async (port: number) => (await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } })).text();

describe('listen sockets kept by the parent', () => {
  const handles = new ListenHandles(bindListenHandle);
  const children: ChildProcess[] = [];
  afterAll(async () => {
    await Promise.all(children.map(stopChild));
    await handles.close();
  });

  it("a child's successor accepts on the same socket; port 0 stays each child's own; a socket nobody uses any more is closed", async () => {
    const port = await freePort();
    const entries = [
      { host: '127.0.0.1', port },
      { host: '127.0.0.1', port: 0 },
    ];
    const first = await startChild(handles, entries);
    children.push(first.child);
    const second = await startChild(handles, entries);
    children.push(second.child);
    expect(first.result).toEqual({ t: 'bound', ports: [port, expect.any(Number)] });
    expect(second.result).toEqual({ t: 'bound', ports: [port, expect.any(Number)] });
    const own = (started: Started) => (started.result as { ports: number[] }).ports[1]!;
    expect(own(first)).not.toBe(own(second));
    expect(await get(own(first))).toBe(String(first.child.pid));

    // The first one drains and exits: the second one answers on the same port.
    await stopChild(first.child);
    for (let i = 0; i < 5; i++) expect(await get(port)).toBe(String(second.child.pid));
    await handles.closeUnused();
    expect(await get(port)).toBe(String(second.child.pid));

    // Nobody uses it any more: closed, and refused.
    await stopChild(second.child);
    await handles.closeUnused();
    await expect(get(port)).rejects.toThrow();
  });

  it('a port another process listens on is refused with EADDRINUSE, naming the entry', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const started = await startChild(handles, [{ host: '127.0.0.1', port }]).catch((err: Error) => ({ child: undefined, result: { t: 'failed', message: err.message } }));
      expect(started.result).toEqual({ t: 'failed', message: `test: cannot listen on 127.0.0.1:${port}: EADDRINUSE` });
    } finally {
      blocker.close();
    }
  });
});
