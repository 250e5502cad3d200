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
  readonly #enrollment: Buffer;
  readonly #root: Secret<Buffer>;

  constructor(clusterSecret: Secret<string>) {
    const root = new Secret(Buffer.from(clusterSecret.reveal(), 'utf8'));
    this.#ident = deriveKey(root, 'keygate rbac token ident v1');
    this.#rows = deriveKey(root, 'keygate rbac rows v1');
    this.#audit = deriveKey(root, 'keygate audit chain v1');
    this.#enrollment = deriveKey(root, 'keygate enrollment v1');
    this.#root = root;
  }

  /** The keyed hash an enrollment token is stored and looked up by. */
  enrollmentTokenHash(token: string): string {
    return hmacBase64(this.#enrollment, `token\n${token}`);
  }

  /** The MAC of a `cluster_credentials` row. */
  credentialMac(parts: readonly (string | boolean | null)[]): string {
    return hmacBase64(this.#enrollment, JSON.stringify(['credential', ...parts]));
  }

  /** The secret of node credential `id`: derived, so no table has to hold it. */
  nodeCredentialSecret(id: string): Secret<Buffer> {
    return new Secret(deriveKey(this.#root, `keygate node credential v1\n${id}`));
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
