import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A PostgreSQL front that asks each new connection for a cleartext password and checks it
 * (the test server trusts everyone), then pipes the connection to the real server. Established
 * connections are never re-checked, like PostgreSQL after `ALTER ROLE ... PASSWORD`.
 */
export class PasswordFront {
  readonly attempts: Array<{ user: string; accepted: boolean; password: string }> = [];
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;

  constructor(
    private readonly upstream: { host: string; port: number },
    public expected: string,
  ) {}

  async start(): Promise<void> {
    this.#server = createServer((client) => this.#handle(client));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as { port: number }).port;
  }

  /** Cuts every open connection, as a failover would: pools must open new ones. */
  dropAll(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  #handle(client: Socket): void {
    this.#sockets.add(client);
    client.on('close', () => this.#sockets.delete(client));
    client.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    let startup: Buffer | undefined;
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!startup) {
        if (buffer.length < 4 || buffer.length < buffer.readInt32BE(0)) return;
        startup = buffer.subarray(0, buffer.readInt32BE(0));
        buffer = buffer.subarray(startup.length);
        // AuthenticationCleartextPassword
        client.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
      }
      if (buffer.length < 5 || buffer.length < 1 + buffer.readInt32BE(1)) return;
      client.off('data', onData);
      const password = buffer.subarray(5, 1 + buffer.readInt32BE(1) - 1).toString('utf8');
      const user = userOf(startup);
      const accepted = password === this.expected;
      this.attempts.push({ user, accepted, password });
      if (!accepted) {
        client.end(errorMessage(`password authentication failed for user "${user}"`));
        return;
      }
      const server = connect(this.upstream, () => {
        server.write(startup!);
        client.pipe(server);
        server.pipe(client);
      });
      this.#sockets.add(server);
      server.on('close', () => {
        this.#sockets.delete(server);
        client.destroy();
      });
      server.on('error', () => client.destroy());
      client.on('close', () => server.destroy());
    };
    client.on('data', onData);
  }
}

function userOf(startup: Buffer): string {
  const fields = startup.subarray(8).toString('utf8').split('\0');
  const i = fields.indexOf('user');
  return i >= 0 ? (fields[i + 1] ?? '') : '';
}

function errorMessage(text: string): Buffer {
  const body = Buffer.concat([Buffer.from('SFATAL\0C28P01\0M'), Buffer.from(text), Buffer.from('\0\0')]);
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}
