import type { AwsEnvironment, Env } from '@keygate/config';
import type { VaultSchema } from '@keygate/entities';
import type { Logger } from '@keygate/logging';

/** A vault's effective configuration, validated by its schema (defaults filled in). */
export type VaultConfig = Readonly<Record<string, unknown>>;

/** What a backend may use besides its config; passed in, never read from globals. */
export interface BackendContext {
  /** The environment captured at start (the `env` vault reads it). */
  readonly env: Env;
  /** The standard AWS variables, captured at start. */
  readonly aws: AwsEnvironment;
  readonly logger: Logger;
  /** Per backend call. */
  readonly timeoutMs: number;
}

/** Reads secrets for one effective config. The resolver keeps one reader per distinct config. */
export interface SecretReader {
  /**
   * The secret's whole value as text (a JSON object stays JSON text; the resolver extracts the
   * reference's key). Throws `VaultError` with the backend's reason; never puts a value in it.
   */
  read(resource: string, version: number | undefined): Promise<string>;
  close?(): void;
}

/**
 * A vault backend: Kong's `kong/vaults/<name>` in one object. A new backend (gcp, azure) is one
 * file implementing this, plus its config schema next to the others in libs/entities/src/vaults
 * (the Admin API validates `/vaults` entities with it).
 */
export interface VaultBackend {
  readonly schema: VaultSchema;
  connect(config: VaultConfig, context: BackendContext): SecretReader;
}
