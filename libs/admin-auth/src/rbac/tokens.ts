import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt cost: ~50 ms per check; a node verifies a token once, then remembers the stored hash it matched. */
const N = 16384;
const R = 8;
const P = 1;
const LENGTH = 32;

function derive(token: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(token, salt, LENGTH, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))));
}

/** Kong strips whitespace from a token before hashing it. */
export function normalizeToken(raw: string): string {
  return raw.replace(/\s+/g, '');
}

/** `scrypt$N$r$p$<salt>$<hash>` (base64url). */
export async function hashToken(token: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(token, salt, N, R, P);
  return ['scrypt', N, R, P, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function verifyToken(token: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  // Costs come from the row: refuse the cheap ones a database writer could choose.
  if (!(n >= N && n <= 1 << 20 && r >= R && r <= 32 && p >= P && p <= 4)) return false;
  const expected = Buffer.from(parts[5] as string, 'base64url');
  if (expected.length !== LENGTH) return false;
  const actual = await derive(token, Buffer.from(parts[4] as string, 'base64url'), n, r, p);
  return timingSafeEqual(actual, expected);
}
