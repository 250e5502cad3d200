import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import type { Logger } from '@keygate/logging';
import type { CertificateData, SniData } from '../state/types';

/**
 * Certificates by server name, built from the `certificates` and `snis` entities held in memory
 * (never read per handshake). Lookup order as Kong's (`kong/runloop/certificate.lua`): exact
 * name, prefix wildcard (`a.b.c` -> `*.b.c`), suffix wildcard (`a.b.c` -> `a.b.*`), then `*`;
 * nothing found -> the listener's default certificate (`ssl_cert`, or one made at start).
 */
export class SniIndex {
  readonly #byName = new Map<string, SecureContext>();
  /** Each certificate's context, reused while the certificate entity is unchanged. */
  #contexts = new WeakMap<CertificateData, SecureContext | null>();

  constructor(
    /** `ssl_cipher_suite` and friends: every certificate is served with them. */
    private readonly protocol: SecureContextOptions,
    private readonly logger: Logger,
  ) {}

  /** Rebuilds the name map from the current entities (after certificates or snis changed). */
  rebuild(certificates: ReadonlyMap<string, CertificateData>, snis: Iterable<SniData>): void {
    const contexts = new WeakMap<CertificateData, SecureContext | null>();
    this.#byName.clear();
    for (const sni of snis) {
      const certificate = certificates.get(sni.certificate_id);
      if (!certificate) continue;
      let context = contexts.get(certificate) ?? this.#contexts.get(certificate);
      if (context === undefined) context = this.#context(certificate);
      contexts.set(certificate, context);
      if (context) this.#byName.set(sni.name.toLowerCase(), context);
    }
    this.#contexts = contexts;
  }

  get size(): number {
    return this.#byName.size;
  }

  /** The context for a client's server name, or undefined for the default certificate. */
  lookup(servername: string): SecureContext | undefined {
    if (!servername) return undefined;
    const name = servername.toLowerCase();
    const exact = this.#byName.get(name);
    if (exact) return exact;
    const labels = name.split('.');
    if (labels.length >= 3) {
      const prefix = this.#byName.get(`*.${labels.slice(1).join('.')}`);
      if (prefix) return prefix;
    }
    if (labels.length >= 2) {
      const suffix = this.#byName.get(`${labels.slice(0, -1).join('.')}.*`);
      if (suffix) return suffix;
    }
    return this.#byName.get('*');
  }

  /** Node's `SNICallback`. */
  readonly callback = (servername: string, done: (err: Error | null, ctx?: SecureContext) => void): void => {
    done(null, this.lookup(servername));
  };

  /**
   * The certificate's context. Node serves only one certificate of a context chosen by SNI (the
   * last one set: `SSL_CTX_get0_certificate`), so `cert_alt`/`key_alt` cannot be chosen by the
   * client's signature algorithms here, as nginx does: the primary `cert` is served. A row that
   * does not make a context is logged (never its key) and its names get the default certificate.
   */
  #context(certificate: CertificateData): SecureContext | null {
    const cert = [certificate.cert];
    const key = [certificate.key];
    try {
      return createSecureContext({ ...this.protocol, cert, key });
    } catch (err) {
      this.logger.error({ certificate_id: certificate.id, code: (err as NodeJS.ErrnoException).code ?? 'INVALID' }, 'proxy: a certificate cannot be served (its names get the default certificate)');
      return null;
    }
  }
}
