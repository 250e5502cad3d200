import { z } from 'zod';
import type { FieldErrors } from '../schema/errors';

/**
 * What the `vaults` entity and the secrets layer need to know about one vault backend (Kong's
 * `kong/vaults/<name>/schema.lua`): its config fields with Kong's defaults and rules, which of
 * them are secrets (stored encrypted, never shown in logs), and whole-config checks.
 */
export interface VaultSchema {
  readonly name: string;
  /** Config fields. Defaults apply to `/vaults` entities and to `vault_<name>_<field>` settings. */
  readonly config: z.ZodObject;
  /** Config fields stored encrypted when the keyring is on (Kong's `encrypted = true`). */
  readonly encryptedFields: readonly string[];
  /** Conditional rules (`auth_method = token` needs `token`), as Kong's `entity_checks`. */
  readonly check?: (config: Record<string, unknown>) => FieldErrors | undefined;
}

/** Kong's `typedefs.ttl`: seconds, 0 to 1e8. */
export const ttl = () =>
  z
    .number({ error: (issue) => (issue.input === undefined ? undefined : 'expected a number') })
    .min(0, { error: 'value should be between 0 and 100000000' })
    .max(1e8, { error: 'value should be between 0 and 100000000' });

/** `ttl`, `neg_ttl`, `resurrect_ttl` (every bundled backend has them). */
export const TTL_FIELDS = {
  ttl: ttl().optional(),
  neg_ttl: ttl().optional(),
  resurrect_ttl: ttl().optional(),
};
