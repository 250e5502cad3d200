import { deriveKey, hmacBase64, Secret } from '@keygate/crypto';

/**
 * Keys derived from `keyring_cluster_secret`, which the database does not hold: the keyed token
 * identifier (lookup), the MAC of RBAC rows, and the audit chain. One purpose per key, so a
 * value made for one can never pass as another.
 */
export class AdminSecrets {
  readonly #ident: Buffer;
  readonly #rows: Buffer;
  readonly #audit: Buffer;

  constructor(clusterSecret: Secret<string>) {
    const root = new Secret(Buffer.from(clusterSecret.reveal(), 'utf8'));
    this.#ident = deriveKey(root, 'keygate rbac token ident v1');
    this.#rows = deriveKey(root, 'keygate rbac rows v1');
    this.#audit = deriveKey(root, 'keygate audit chain v1');
  }

  /** The keyed identifier a token is looked up by (never a plain digest of the token). */
  tokenIdent(token: string): string {
    return hmacBase64(this.#ident, token);
  }

  rowMac(parts: readonly (string | number | boolean | null)[]): string {
    return hmacBase64(this.#rows, JSON.stringify(parts));
  }

  auditMac(parts: readonly unknown[]): string {
    return hmacBase64(this.#audit, JSON.stringify(parts));
  }
}
