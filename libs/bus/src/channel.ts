/**
 * A typed NOTIFY channel. Payloads are JSON and must stay far below PostgreSQL's 8000-byte limit:
 * a notification carries ids (a hint), the tables hold the truth.
 */
export interface Channel<T> {
  readonly name: string;
  encode(payload: T): string;
  decode(text: string): T | undefined;
}

export const MAX_PAYLOAD_BYTES = 7900;

export class PayloadTooLargeError extends Error {
  readonly code = 'BUS_PAYLOAD_TOO_LARGE';
}

/** `validate` returns the payload when the decoded JSON has the expected shape, else undefined. */
export function channel<T>(name: string, validate: (value: unknown) => T | undefined): Channel<T> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid channel name '${name}'`);
  return {
    name,
    encode(payload) {
      const text = JSON.stringify(payload);
      if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
        throw new PayloadTooLargeError(`payload for ${name} is ${Buffer.byteLength(text)} bytes; NOTIFY carries ids, not data`);
      }
      return text;
    },
    decode(text) {
      try {
        return validate(JSON.parse(text));
      } catch {
        return undefined;
      }
    },
  };
}
