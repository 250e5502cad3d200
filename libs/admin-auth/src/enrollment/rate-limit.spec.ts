import { EnrollmentError } from './errors';
import { RateLimiter } from './rate-limit';

const refused = () => Promise.reject(new EnrollmentError('ENROLLMENT_TOKEN_UNKNOWN', 'Invalid enrollment token'));
const statusOf = (attempt: Promise<unknown>) =>
  attempt.then(
    () => 'ok',
    (err: EnrollmentError) => err.code,
  );

describe('the enrollment rate limiter', () => {
  it('keeps a guesser limited while many other addresses are seen: new clients never reset the others', async () => {
    const limiter = new RateLimiter(10, 30);
    for (let i = 0; i < 10; i++) await statusOf(limiter.guard('203.0.113.7', refused));
    expect(await statusOf(limiter.guard('203.0.113.7', refused))).toBe('ENROLLMENT_RATE_LIMITED');
    // As many addresses as an attacker with an IPv6 prefix has, each refused once.
    for (let i = 0; i < 10_050; i++) await statusOf(limiter.guard(`2001:db8::${i.toString(16)}`, refused));
    expect(await statusOf(limiter.guard('203.0.113.7', refused))).toBe('ENROLLMENT_RATE_LIMITED');
  });

  it('forgets clients whose budget has refilled, so the table stays bounded without resetting anyone', async () => {
    const limiter = new RateLimiter(10, 30);
    const start = Date.now();
    for (let i = 0; i < 10_050; i++) limiter.check(`198.51.100.${i}`, start);
    // An hour later every one of them is full again: a new client gets its own burst.
    const later = start + 3_600_000;
    let answered = 0;
    for (let i = 0; i < 10; i++) {
      try {
        limiter.check('192.0.2.1', later);
        answered++;
      } catch {
        // limited
      }
    }
    expect(answered).toBe(10);
  });
});
