import type { Env } from './env';

/**
 * Configuration values of the form `{vault://backend/resource[/key]...}` are secret references.
 * The config layer only recognises them, so that they are kept out of type validation; parsing
 * and resolving them is the job of the secrets layer, handed in as a `ReferenceResolver`.
 */
const REFERENCE_PATTERN = /^\{vault:\/\/.*\}$/;

/** Starts like a reference but is not one (`{vault:/aws/...}`, a missing `}`): a typo, most likely. */
const NEAR_REFERENCE_PATTERN = /^\{\s*vault\b|^vault:\/\/|\{vault:/i;

export function isReference(value: string): boolean {
  return REFERENCE_PATTERN.test(value.trim());
}

/** True for a value that looks like a mistyped reference; it would be used as a literal. */
export function looksLikeReference(value: string): boolean {
  return !isReference(value) && NEAR_REFERENCE_PATTERN.test(value.trim());
}

export interface ConfigReference {
  readonly key: string;
  readonly reference: string;
}

/** What a resolver may need from the configuration being loaded. */
export interface ResolveContext {
  /** The environment the configuration is read from (the `env` vault, `AWS_*` credentials). */
  readonly env: Env;
  /** The `vault_<name>_<field>` settings as written (references among them already resolved). */
  readonly vaultOptions: Readonly<Record<string, string>>;
  /** The `vaults` setting as written; undefined = Kong's default (`bundled`). */
  readonly vaults?: string;
}

/**
 * Resolves one reference to its value. Throws when it cannot; the error's message must not
 * contain the secret (it is shown to the operator together with the key and the reference).
 */
export interface ReferenceResolver {
  (ref: ConfigReference, context: ResolveContext): Promise<string>;
  /**
   * For a reference that rotates (a TTL): a function giving its current value, re-read when the
   * TTL passed. Undefined for values that never change. `logger` receives its warnings.
   */
  live?(ref: ConfigReference, logger?: unknown): (() => Promise<string>) | undefined;
  /**
   * Checks a reference without reading it (`config check`, and every start): throws when it cannot
   * be parsed (Kong's texts, e.g. `reference url is missing host`); returns warnings, such as an
   * option its vault does not know (`?regoin=`).
   */
  check?(ref: ConfigReference, context: ResolveContext): string[];
}
