/**
 * The one place in Keygate that reads `process.env` (enforced by lint). Everything else gets
 * its settings from the validated `Config`, or from an `Env` object passed down explicitly.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export function processEnv(): Env {
  return Object.freeze({ ...process.env });
}

/** Prefix of the environment variables that override configuration keys, as in Kong. */
export const ENV_PREFIX = 'KONG_';

export function envNameFor(key: string): string {
  return ENV_PREFIX + key.toUpperCase();
}
