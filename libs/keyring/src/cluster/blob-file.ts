import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Logger } from '@keygate/logging';
import { exportKeyring, importKeyring } from '../blob';
import type { Keyring } from '../keyring';
import type { KeyringSettings } from '../settings';

/**
 * `keyring_blob_path`: the keyring in a file encrypted to `keyring_public_key`, read at start with
 * `keyring_private_key` and rewritten (atomically) after every change made on this node.
 */
export class BlobFile {
  constructor(
    private readonly settings: KeyringSettings,
    private readonly keyring: Keyring,
    private readonly logger: Logger,
  ) {}

  /** Adds the file's keys to the keyring, if the file exists and can be decrypted here. */
  load(): void {
    const { blobPath, privateKey } = this.settings;
    if (!blobPath || !existsSync(blobPath)) return;
    if (!privateKey) {
      this.logger.warn({ path: blobPath }, 'keyring_blob_path exists but keyring_private_key is not set; not loading it');
      return;
    }
    const contents = importKeyring(readFileSync(blobPath, 'utf8').trim(), privateKey);
    for (const key of contents.keys) this.keyring.add(key);
    this.logger.info({ key_ids: contents.keys.map((k) => k.id), path: blobPath }, 'keyring loaded from keyring_blob_path');
  }

  /** Keeps the file in step with the keyring; written to a temporary file, then renamed. */
  save(): void {
    const { blobPath, publicKey } = this.settings;
    if (!blobPath) return;
    if (!publicKey) {
      this.logger.warn('keyring_blob_path is set but keyring_public_key is not; the keyring is not written to it');
      return;
    }
    const tmp = `${blobPath}.tmp-${process.pid}`;
    writeFileSync(tmp, exportKeyring(this.keyring.all(), this.keyring.activeId, publicKey), { mode: 0o600 });
    renameSync(tmp, blobPath);
  }
}
