import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Secret } from './secret';

/** HMAC-SHA256 as hex. */
export function hmacHex(key: Secret<string> | Secret<Buffer>, data: string): string {
  return createHmac('sha256', key.reveal()).update(data).digest('hex');
}

/** Compares two strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
