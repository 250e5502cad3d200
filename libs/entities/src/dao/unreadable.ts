import { fieldKeyId } from '@keygate/crypto';
import type { Entity, EntityDefinition } from '../definition';
import type { FieldProtector } from '../ports';
import { encryptedPaths, getPath, withPath } from './encrypted';

/** Why a stored encrypted value cannot be shown: the codes of libs/crypto's errors. */
const UNREADABLE = new Set(['FIELD_INTEGRITY', 'KEY_NOT_AVAILABLE', 'LEGACY_FORMAT_REFUSED', 'PLAINTEXT_REFUSED']);

/**
 * A row whose encrypted field cannot be decrypted: its value was changed outside Keygate (the
 * tag does not verify) or it names a key this node does not hold. Not a failure inside: the
 * Admin API says which row and key (never the value), lists skip the row, and it can still be
 * deleted or given a new value.
 */
export class UnreadableRowError extends Error {
  readonly code: 'ROW_TAMPERED' | 'ROW_KEY_NOT_AVAILABLE';

  constructor(
    readonly table: string,
    readonly rowId: string,
    readonly field: string,
    readonly keyId: string | undefined,
    cause: { code: string },
  ) {
    const where = `${table} row ${rowId}: its ${field}`;
    const key = keyId ? `key ${keyId}` : 'an unknown key';
    super(
      cause.code === 'KEY_NOT_AVAILABLE'
        ? `${where} is encrypted with ${key}, which this node does not hold; recover it (POST /keyring/recover) or import it (POST /keyring/import), or give the row a new ${field} or delete it`
        : cause.code === 'FIELD_INTEGRITY'
          ? `${where} (${key}) failed authentication: it was changed outside Keygate; give the row a new ${field} (PATCH) or delete it`
          : `${where} is not an authenticated $ke$2$ value (${cause.code === 'PLAINTEXT_REFUSED' ? 'plaintext; see keyring_accept_plaintext' : `Kong's $ke$1$ under ${key}, which is not a key imported from Kong`}): written outside Keygate or an unfinished migration; give the row a new ${field} (PATCH) or delete it`,
      { cause },
    );
    this.name = 'UnreadableRowError';
    this.code = cause.code === 'KEY_NOT_AVAILABLE' ? 'ROW_KEY_NOT_AVAILABLE' : 'ROW_TAMPERED';
  }

  /** For logs: table, row, field, key and reason; never the stored value. */
  toJSON(): Record<string, unknown> {
    return { table: this.table, row_id: this.rowId, field: this.field, key_id: this.keyId ?? null, code: this.code };
  }
}

function isUnreadable(err: unknown): err is { code: string; keyId?: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNREADABLE.has(code);
}

/**
 * The entity with its encrypted fields decrypted. A field that cannot be decrypted throws
 * `UnreadableRowError`, unless `replaced(path)` says the caller is about to overwrite it: then
 * it reads as null (a PATCH that sets a new key repairs a tampered row).
 */
export async function revealRow(
  def: EntityDefinition,
  stored: Entity,
  protector: FieldProtector,
  replaced: (path: string) => boolean = () => false,
): Promise<Entity> {
  let out: Record<string, unknown> = stored;
  for (const path of encryptedPaths(def, stored)) {
    const value = getPath(out, path);
    if (typeof value !== 'string') continue;
    let plain: string | null;
    try {
      plain = await protector.reveal(value, { table: def.name, field: path, id: stored.id });
    } catch (err) {
      if (!isUnreadable(err)) throw err;
      if (!replaced(path)) throw new UnreadableRowError(def.name, stored.id, path, err.keyId ?? fieldKeyId(value), err);
      plain = null;
    }
    out = withPath(out, path, plain);
  }
  return out as Entity;
}
