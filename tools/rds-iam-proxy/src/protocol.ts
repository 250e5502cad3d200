/**
 * The few PostgreSQL wire-protocol messages an authentication front needs (protocol 3.0).
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;
export const PROTOCOL_3 = 196608;

export interface StartupMessage {
  readonly protocol: number;
  readonly params: Record<string, string>;
  /** The message as received, to replay to the real server. */
  readonly raw: Buffer;
}

export function parseStartup(raw: Buffer): StartupMessage {
  const protocol = raw.readInt32BE(4);
  const params: Record<string, string> = {};
  const parts = raw.subarray(8).toString('utf8').split('\0');
  for (let i = 0; i + 1 < parts.length && parts[i] !== ''; i += 2) params[parts[i] as string] = parts[i + 1] as string;
  return { protocol, params, raw };
}

/** AuthenticationCleartextPassword: what RDS asks an IAM user for (the token). */
export function cleartextPasswordRequest(): Buffer {
  const msg = Buffer.alloc(9);
  msg.write('R', 0);
  msg.writeInt32BE(8, 1);
  msg.writeInt32BE(3, 5);
  return msg;
}

/** ErrorResponse with severity, SQLSTATE and message, as the server sends it. */
export function errorResponse(code: string, message: string, severity = 'FATAL'): Buffer {
  const fields = [`S${severity}`, `V${severity}`, `C${code}`, `M${message}`].map((f) => Buffer.from(`${f}\0`, 'utf8'));
  const body = Buffer.concat([...fields, Buffer.from([0])]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/**
 * Reads length-prefixed messages from a socket: the startup phase (no type byte) and then typed
 * messages (`p` = PasswordMessage).
 */
export class MessageReader {
  #buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
  }

  /** A startup-phase message (Int32 length first), or undefined until complete. */
  untyped(): Buffer | undefined {
    if (this.#buffer.length < 4) return undefined;
    const length = this.#buffer.readInt32BE(0);
    if (length < 8 || length > 10_000) throw new Error('invalid startup packet length');
    if (this.#buffer.length < length) return undefined;
    const msg = this.#buffer.subarray(0, length);
    this.#buffer = this.#buffer.subarray(length);
    return msg;
  }

  /** A typed message (type byte, Int32 length), or undefined until complete. */
  typed(): { type: string; body: Buffer } | undefined {
    if (this.#buffer.length < 5) return undefined;
    const length = this.#buffer.readInt32BE(1);
    if (length < 4 || length > 100_000) throw new Error('invalid message length');
    if (this.#buffer.length < length + 1) return undefined;
    const type = String.fromCharCode(this.#buffer[0] as number);
    const body = this.#buffer.subarray(5, length + 1);
    this.#buffer = this.#buffer.subarray(length + 1);
    return { type, body };
  }

  /** Bytes received after the last complete message (sent on once piping starts). */
  rest(): Buffer {
    const rest = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return rest;
  }
}
