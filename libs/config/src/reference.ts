import type { Env } from './env';

/**
 * Configuration values of the form `{vault://backend/resource[/key]...}` are secret references.
 * The config layer only recognises them, so that they are kept out of type validation; parsing
 * and resolving them is the job of the secrets layer, handed in as a `ReferenceResolver`.
 */
const REFERENCE_PATTERN = /^\{vault:\/\/.+\}$/;

export function isReference(value: string): boolean {
  return REFERENCE_PATTERN.test(value.trim());
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
}
