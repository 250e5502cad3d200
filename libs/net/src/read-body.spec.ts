import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { BodyTooLargeError, readBody } from './read-body';

const stream = (...chunks: string[]) => Readable.from(chunks.map((c) => Buffer.from(c)), { objectMode: false });

describe('readBody', () => {
  it('joins the chunks of a body', async () => {
    expect((await readBody(stream('ab', 'cd', 'e'))).toString()).toBe('abcde');
    expect((await readBody(stream())).length).toBe(0);
  });

  it('refuses a body over the limit and drains the rest', async () => {
    const body = stream('abc', 'def', 'ghi');
    await expect(readBody(body, { limit: 5 })).rejects.toBeInstanceOf(BodyTooLargeError);
    await finished(body);
    expect(body.readableEnded).toBe(true);
  });

  it('destroys the stream on overflow when asked to', async () => {
    const body = stream('abc', 'def', 'ghi');
    await expect(readBody(body, { limit: 4, overflow: 'destroy' })).rejects.toThrow('request body larger than 4 bytes');
    expect(body.destroyed).toBe(true);
  });

  it('accepts a body exactly at the limit', async () => {
    expect((await readBody(stream('abc', 'de'), { limit: 5 })).toString()).toBe('abcde');
  });
});
