import { inspect } from 'node:util';
import { Secret, REDACTED, revealIfSecret } from './secret';

describe('Secret', () => {
  const planted = 'hunter2-planted-value';
  const secret = new Secret(planted);

  it('reveals the value only through reveal()', () => {
    expect(secret.reveal()).toBe(planted);
    expect(revealIfSecret(secret)).toBe(planted);
    expect(revealIfSecret('plain')).toBe('plain');
  });

  it.each([
    ['String()', () => String(secret)],
    ['template literal', () => `${secret}`],
    ['JSON.stringify', () => JSON.stringify({ password: secret })],
    ['util.inspect', () => inspect({ nested: { secret } }, { depth: 10, showHidden: true })],
    ['Object.keys', () => Object.keys(secret).join(',')],
    ['error message', () => new Error(`bad password ${secret}`).message],
  ])('never prints the value through %s', (_name, render) => {
    const text = render();
    expect(text).not.toContain(planted);
  });

  it('prints the redaction marker', () => {
    expect(String(secret)).toBe(REDACTED);
    expect(JSON.stringify(secret)).toBe(JSON.stringify(REDACTED));
  });

  it('maps and compares without exposing the value', () => {
    const upper = secret.map((v) => v.toUpperCase());
    expect(upper.reveal()).toBe(planted.toUpperCase());
    expect(secret.equals(new Secret(planted))).toBe(true);
    expect(secret.equals(new Secret('other'))).toBe(false);
  });
});
