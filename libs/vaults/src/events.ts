import { channel } from '@keygate/bus';

/**
 * The vault-resolver found new values for these references (a rotation), or, with `all`, nodes
 * should drop every cached value (a `/vaults` entity changed). Carries references, never values.
 */
export type VaultChange = { readonly references: readonly string[] } | { readonly all: true };

export const VAULT_CHANGES = channel<VaultChange>('keygate_vault_changes', (value) => {
  const v = value as { references?: unknown; all?: unknown } | null;
  if (v && v.all === true) return { all: true };
  return v && Array.isArray(v.references) && v.references.every((r) => typeof r === 'string') ? { references: v.references as string[] } : undefined;
});

/** Splits references into payloads under the NOTIFY limit; one that does not fit becomes `all`. */
export function changePayloads(references: readonly string[], maxBytes = 7000): VaultChange[] {
  const payloads: VaultChange[] = [];
  let batch: string[] = [];
  let size = 20;
  for (const reference of references) {
    const length = Buffer.byteLength(JSON.stringify(reference)) + 1;
    if (length + 20 > maxBytes) return [{ all: true }];
    if (size + length > maxBytes) {
      payloads.push({ references: batch });
      batch = [];
      size = 20;
    }
    batch.push(reference);
    size += length;
  }
  if (batch.length > 0) payloads.push({ references: batch });
  return payloads;
}
