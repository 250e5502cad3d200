import { connect, createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';
import { selfSignedServerCertificate } from './certificate';
import { CANCEL_REQUEST, cleartextPasswordRequest, errorResponse, GSSENC_REQUEST, MessageReader, parseStartup, SSL_REQUEST } from './protocol';
import { AuthRate } from './stats';
import { checkToken, type TokenVerifier } from './token';

export interface RdsIamProxyOptions {
  readonly host?: string;
  readonly port?: number;
  /** The real PostgreSQL; IAM users must exist there and be let in without a password (trust). */
  readonly upstream: { readonly host: string; readonly port: number };
  readonly verify: TokenVerifier;
  /** `host:port` tokens must name; default: the address this front listens on. */
  readonly endpoint?: string;
  readonly certificate?: { readonly cert: string; readonly key: string };
  /** Called with each refusal reason (tests and the CLI log them). */
  readonly onRefused?: (user: string, reason: string) => void;
}

export interface RdsIamProxy {
  readonly host: string;
  readonly port: number;
  /** PEM of the server certificate, for clients that verify it. */
  readonly certificatePem: string;
  readonly rate: AuthRate;
  stop(): Promise<void>;
}

/**
 * Behaves like RDS with IAM database authentication: TLS required (TLS 1.2 at most, as RDS),
 * the password must be a valid SigV4-presigned `rds-db:connect` token for this endpoint and the
 * startup user; anything else gets RDS's 28P01 "PAM authentication failed". Accepted connections
 * are piped to the real PostgreSQL.
 */
export async function startRdsIamProxy(options: RdsIamProxyOptions): Promise<RdsIamProxy> {
  const certificate = options.certificate ?? selfSignedServerCertificate();
  const context = createSecureContext({ cert: certificate.cert, key: certificate.key, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  const rate = new AuthRate();
  const sockets = new Set<Socket>();
  let endpoint = options.endpoint ?? '';

  const server: Server = createServer((raw) => {
    sockets.add(raw);
    raw.once('close', () => sockets.delete(raw));
    raw.on('error', () => undefined);
    void handle(raw).catch(() => raw.destroy());
  });

  async function handle(raw: Socket): Promise<void> {
    let socket: Socket = raw;
    let reader = new MessageReader();
    const nextUntyped = () => read(socket, reader, () => reader.untyped());
    let packet = await nextUntyped();
    const code = packet.readInt32BE(4);
    if (code === CANCEL_REQUEST) return void raw.end();
    if (code === GSSENC_REQUEST) {
      raw.write('N');
      packet = await nextUntyped();
    }
    let tls = false;
    if (packet.readInt32BE(4) === SSL_REQUEST) {
      raw.write('S');
      const secure = new TLSSocket(raw, { isServer: true, secureContext: context });
      secure.on('error', () => raw.destroy());
      socket = secure;
      reader = new MessageReader();
      tls = true;
      packet = await nextUntyped();
    }
    const startup = parseStartup(packet);
    const user = startup.params.user ?? '';
    const database = startup.params.database ?? user;
    if (!tls) {
      socket.end(errorResponse('28000', `no pg_hba.conf entry for host "${raw.remoteAddress}", user "${user}", database "${database}", no encryption`));
      return;
    }
    socket.write(cleartextPasswordRequest());
    const password = await read(socket, reader, () => reader.typed());
    const token = password.type === 'p' ? password.body.toString('utf8').replace(/\0$/, '') : '';
    const check = await checkToken(token, { endpoint, user }, options.verify);
    rate.record(check.ok, user);
    if (!check.ok) {
      options.onRefused?.(user, check.reason ?? 'invalid token');
      socket.end(errorResponse('28P01', `PAM authentication failed for user "${user}"`));
      return;
    }
    const upstream = connect(options.upstream);
    sockets.add(upstream);
    upstream.once('close', () => {
      sockets.delete(upstream);
      socket.destroy();
    });
    upstream.on('error', () => socket.destroy());
    socket.once('close', () => upstream.destroy());
    upstream.write(startup.raw);
    const rest = reader.rest();
    if (rest.length > 0) upstream.write(rest);
    socket.removeAllListeners('data');
    socket.pipe(upstream);
    upstream.pipe(socket);
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const address = server.address() as { address: string; port: number };
  endpoint ||= `${address.address}:${address.port}`;
  return {
    host: address.address,
    port: address.port,
    certificatePem: certificate.cert,
    rate,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Waits until `take` returns a complete message from what `socket` sends. */
function read<T>(socket: Socket, reader: MessageReader, take: () => T | undefined): Promise<T> {
  const ready = take();
  if (ready !== undefined) return Promise.resolve(ready);
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      reader.push(chunk);
      try {
        const message = take();
        if (message === undefined) return;
        cleanup();
        resolve(message);
      } catch (err) {
        cleanup();
        reject(err);
      }
    };
    const onEnd = () => {
      cleanup();
      reject(new Error('client went away'));
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('close', onEnd);
    };
    socket.on('data', onData);
    socket.once('close', onEnd);
  });
}
