import { parsePrivateKeyPem, publicKeyFingerprint, RsaKeyError, Secret, type DataKey } from '@keygate/crypto';
import type { Logger } from '@keygate/logging';
import { sameMaterial } from '../conflicts';
import { badParam, keyConflict } from '../errors';
import { isIndexKeyId } from '../index-key';
import type { Keyring } from '../keyring';
import { verifyMeta, type MetaRow } from '../meta';
import { openRecovery, RECOVERY_V1, recoveryRowAuthentic } from '../recovery';
import type { KeyringSettings } from '../settings';
import type { KeyringStore } from '../store';

export interface RecoverResult {
  readonly message: string;
  readonly recovered: string[];
  readonly not_recovered: string[];
  readonly active: string | null;
  /** Whether the index key (lookup digests) is on this node after the recovery. */
  readonly index_key: boolean;
}

/**
 * Decrypts every `keyring_keys` row with the recovery private key (ours and Kong's formats) and
 * adds to the keyring what it can; returns the ids recovered (the index key not counted) and not.
 * `acceptUnauthenticated`: also rows without a valid MAC (a Kong database, or rows written by
 * nodes without `keyring_cluster_secret`); the operator vouches for them.
 */
export async function recoverKeys(
  parts: { readonly settings: KeyringSettings; readonly store: KeyringStore; readonly keyring: Keyring; readonly logger: Logger },
  pem: string,
  acceptUnauthenticated: boolean,
): Promise<{ recovered: string[]; notRecovered: string[] }> {
  const { settings, store, keyring, logger } = parts;
  let privateKey;
  try {
    privateKey = parsePrivateKeyPem(pem);
  } catch (err) {
    throw badParam((err as RsaKeyError).message);
  }
  const fingerprint = publicKeyFingerprint(privateKey);
  const recovered: string[] = [];
  const notRecovered: string[] = [];
  const meta = new Map((await store.rows()).map((r) => [r.id, r]));
  if (!settings.clusterSecret) {
    logger.warn('keyring recovery without keyring_cluster_secret: keyring_keys rows cannot be authenticated, so a key a database writer added would be recovered too; set keyring_cluster_secret (also on a single node)');
  }
  for (const row of await store.recoveryRows()) {
    try {
      if (settings.clusterSecret && !acceptUnauthenticated && !recoveryRowAuthentic(settings.clusterSecret, row)) {
        throw badParam('its keyring_keys row is not authenticated with keyring_cluster_secret (written by Kong, by a node without the secret, or by someone else); pass accept_unauthenticated=true if you trust it');
      }
      const key = recoveredKey(row, openRecovery(row.key_encrypted, privateKey), meta.get(row.id));
      // A key held here is never replaced (nor its origin): a different key in keyring_keys is
      // a row someone wrote (anyone can encrypt to the recovery public key), not a recovery.
      const held = keyring.get(key.id);
      if (held && !sameMaterial(held, key)) throw keyConflict(key.id, 'with different material than its keyring_keys row; the key held here is kept');
      if (!held) keyring.add(key);
      if (!isIndexKeyId(row.id)) recovered.push(row.id);
    } catch (err) {
      notRecovered.push(row.id);
      const other = row.recovery_key_id !== fingerprint ? ' (it was backed up to another recovery key)' : '';
      logger.warn({ key_id: row.id, reason: (err as Error).message }, `could not recover key ${row.id}${other}`);
    }
  }
  return { recovered, notRecovered };
}

/**
 * A recovered key's origin: what its `keyring_meta` row says if the key verifies the row's MAC;
 * otherwise `kong` only for Kong's own backup format (`$ker$1$`, which Keygate never writes), and
 * `keygate` for anything else, so an edited row cannot make a Keygate key read `$ke$1$` values.
 */
function recoveredKey(row: { id: string; key_encrypted: string }, material: Buffer, meta: MetaRow | undefined): DataKey {
  const bare: DataKey = { id: row.id, key: new Secret(material) };
  if (meta && verifyMeta(bare, meta)) return meta.origin === 'kong' ? { ...bare, origin: 'kong' } : bare;
  return row.key_encrypted.startsWith(RECOVERY_V1) ? { ...bare, origin: 'kong' } : bare;
}
