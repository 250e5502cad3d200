import { inspect } from 'node:util';

export const REDACTED = '[REDACTED]';

/**
 * Holds a value that must never reach a log, an error message or an API response.
 *
 * Every way of turning it into text (`String()`, template literals, `JSON.stringify`,
 * `util.inspect`, pino serialisation) yields `[REDACTED]`; the value itself is kept in a private
 * field, which neither `Object.keys` nor `inspect` can see. Call `reveal()` only at the edge
 * that needs the value (the pg driver, an HTTP client, a cipher).
 */
export class Secret<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  reveal(): T {
    return this.#value;
  }

  /** A new secret holding `fn(value)`; the value never leaves the wrapper. */
  map<U>(fn: (value: T) => U): Secret<U> {
    return new Secret(fn(this.#value));
  }

  equals(other: Secret<T>): boolean {
    return this.#value === other.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }

  static isSecret(value: unknown): value is Secret<unknown> {
    return value instanceof Secret;
  }
}

/** Returns the plain value of a `Secret`, or the value itself when it is not one. */
export function revealIfSecret<T>(value: T | Secret<T>): T {
  return value instanceof Secret ? value.reveal() : value;
}
