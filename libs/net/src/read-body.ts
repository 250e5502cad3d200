import type { Readable } from 'node:stream';

/** A request body over the limit its reader set. */
export class BodyTooLargeError extends Error {
  readonly code = 'BODY_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

export interface ReadBodyOptions {
  /** Largest body accepted, in bytes. @defaultValue Infinity */
  readonly limit?: number;
  /**
   * What happens to a body over the limit once `BodyTooLargeError` is thrown: `drain` reads and
   * discards the rest, so an HTTP client reads the answer instead of a reset; `destroy` closes the
   * stream at once. @defaultValue 'drain'
   */
  readonly overflow?: 'drain' | 'destroy';
}

/** Reads a whole request body into one buffer, refusing more than `limit` bytes. */
export function readBody(req: Readable, options: ReadBodyOptions = {}): Promise<Buffer> {
  const limit = options.limit ?? Infinity;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        chunks.length = 0;
        reject(new BodyTooLargeError(limit));
        if (options.overflow === 'destroy') req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}
