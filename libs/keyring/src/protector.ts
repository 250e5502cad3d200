import { decryptField, encryptField, fieldFormat, keyedDigest, KeyNotAvailableError, unkeyedDigest, type DataKey, type DecryptedField, type DecryptPolicy, type FieldContext } from '@keygate/crypto';
import type { FieldProtector } from '@keygate/entities';
import type { Logger } from '@keygate/logging';
import { indexKeyMissing, notReady } from './errors';
import { INDEX_KEY_ID } from './index-key';
import type { Keyring } from './keyring';

/** Asks other nodes for a key this node lacks (the cluster exchange plugs in here). */
export type MissingKeyFetcher = (keyId: string) => Promise<DataKey | undefined>;

/**
 * Encrypts declared fields with the active key (`$ke$2$`, authenticated, bound to table, column
 * and row) and decrypts ours; Kong's `$ke$1$` only under keys imported from Kong, plaintext only
 * with `keyring_accept_plaintext` (no weaker format is accepted in place of `$ke$2$`). With the
 * keyring off, values are stored in clear by design and read as they are. Errors carry the
 * table, row, field and key id, so the log says exactly which value is unreadable; the client
 * gets no detail.
 */
export class KeyringFieldProtector implements FieldProtector {
  constructor(
    private readonly enabled: boolean,
    private readonly keyring: Keyring,
    private readonly logger: Logger,
    private readonly fetchMissing?: MissingKeyFetcher,
    private readonly policy: DecryptPolicy = {},
  ) {}

  async protect(value: string, context: FieldContext): Promise<string> {
    if (!this.enabled) return value;
    const key = this.keyring.active();
    if (!key) {
      throw notReady(
        this.keyring.ids().length === 0
          ? 'this node holds no keys; recover them (POST /keyring/recover) or import them (POST /keyring/import)'
          : 'activate a key (POST /keyring/activate)',
      );
    }
    return encryptField(value, key, context);
  }

  async reveal(value: string, context: FieldContext): Promise<string> {
    if (!this.enabled) {
      if (fieldFormat(value) === 'plaintext') return value;
      throw notReady('keyring_enabled is off, but this value is encrypted; set keyring_enabled = on');
    }
    try {
      return this.#decrypt(value, context);
    } catch (err) {
      if (err instanceof KeyNotAvailableError && this.fetchMissing) {
        const key = await this.fetchMissing(err.keyId);
        if (key) {
          this.keyring.add(key);
          return this.#decrypt(value, context);
        }
      }
      throw withContext(err, context);
    }
  }

  /**
   * Decrypts with the keys held here and this node's policy, without asking peers (bulk
   * re-encryption); the result says which format was read. Errors carry the field's context.
   */
  decryptHeld(value: string, context: FieldContext): DecryptedField {
    try {
      return decryptField(value, (id) => this.keyring.get(id), context, this.policy);
    } catch (err) {
      throw withContext(err, context);
    }
  }

  /** Keyed with the cluster's index key (asked of peers if missing); unkeyed with the keyring off. */
  async digest(purpose: string, value: string): Promise<string> {
    if (!this.enabled) return unkeyedDigest(purpose, value);
    let key = this.keyring.indexKey();
    if (!key && this.fetchMissing) {
      const fetched = await this.fetchMissing(INDEX_KEY_ID);
      if (fetched) this.keyring.add(fetched);
      key = this.keyring.indexKey();
    }
    if (!key) throw indexKeyMissing();
    return keyedDigest(key.key, purpose, value);
  }

  #decrypt(value: string, context: FieldContext): string {
    const out = decryptField(value, (id) => this.keyring.get(id), context, this.policy);
    if (out.format !== 'keygate-v2') {
      this.logger.debug({ table: context.table, row_id: context.id, field: context.field, key_id: out.keyId, format: out.format }, 'read a legacy value (accepted by policy); it is rewritten as $ke$2$ on the next write or re-encryption');
    }
    return out.plaintext;
  }
}

function withContext(err: unknown, context: FieldContext): unknown {
  if (err instanceof Error) Object.assign(err, { table: context.table, row_id: context.id, field: context.field });
  return err;
}
