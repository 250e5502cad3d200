import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { SecureContextOptions } from 'node:tls';
import type { Config } from '@keygate/config';
import { PemSettingError, readPemSetting, selfSignedCertificate, type PemSource } from '@keygate/crypto';
import type { Logger } from '@keygate/logging';

/** The node's own TLS listeners, by the prefix of their Kong settings (`admin_ssl_cert`, ...). */
export type TlsListenerName = 'proxy' | 'admin' | 'status' | 'admin_gui';

/** The settings of a listener: `ssl_cert` for the proxy (Kong's names), `<name>_ssl_cert` for the others. */
function settingNames(listener: TlsListenerName): { certSetting: 'ssl_cert' | `${Exclude<TlsListenerName, 'proxy'>}_ssl_cert`; keySetting: 'ssl_cert_key' | `${Exclude<TlsListenerName, 'proxy'>}_ssl_cert_key`; listenKey: string } {
  if (listener === 'proxy') return { certSetting: 'ssl_cert', keySetting: 'ssl_cert_key', listenKey: 'proxy_listen' };
  return { certSetting: `${listener}_ssl_cert`, keySetting: `${listener}_ssl_cert_key`, listenKey: `${listener}_listen` };
}

/** A listener certificate or key setting that cannot be used; the message names the setting, never the key. */
export class ListenerTlsError extends Error {
  readonly code = 'LISTENER_TLS_INVALID';
  constructor(readonly setting: string, message: string) {
    super(message.startsWith(`${setting}: `) ? message : `${setting}: ${message}`);
    this.name = 'ListenerTlsError';
  }
}

/** What an `ssl` entry of the listener is served with. */
export interface ListenerTls {
  readonly options: SecureContextOptions;
  /** SHA-256 fingerprints (`AB:CD:...`, as `openssl x509 -fingerprint -sha256` prints them). */
  readonly fingerprints: readonly string[];
  readonly selfSigned: boolean;
}

/** Mozilla's intermediate TLSv1.2 list, ECDHE only (Kong adds DHE with ffdhe2048). */
const INTERMEDIATE_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
];
/** Node takes TLSv1.3 suites from the same option; a list without them would turn TLSv1.3 off. */
const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

/** `ssl_cipher_suite` (and, for `custom`, `ssl_protocols` / `ssl_ciphers` / `ssl_prefer_server_ciphers`). */
export function protocolOptions(config: Config): SecureContextOptions {
  switch (config.ssl_cipher_suite) {
    case 'modern':
      return { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', honorCipherOrder: false };
    case 'intermediate':
      return { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ciphers: [...TLS13_SUITES, ...INTERMEDIATE_CIPHERS].join(':'), honorCipherOrder: false };
    case 'custom': {
      const protocols = config.ssl_protocols;
      const ciphers = config.ssl_ciphers;
      return {
        minVersion: protocols[0],
        maxVersion: protocols[protocols.length - 1],
        ...(ciphers ? { ciphers: ciphers.includes('TLS_') ? ciphers : [...TLS13_SUITES, ciphers].join(':') } : {}),
        honorCipherOrder: config.ssl_prefer_server_ciphers,
      };
    }
  }
}

/**
 * Reads `<listener>_ssl_cert` / `<listener>_ssl_cert_key` (file path, PEM text or base64 PEM, in
 * pairs), checks each key matches its certificate and warns about an expired one; with none
 * configured, generates a self-signed certificate in memory (Kong writes one under its prefix)
 * and logs its fingerprint. Throws `ListenerTlsError` naming the setting.
 */
export function loadListenerTls(config: Config, listener: TlsListenerName, logger: Logger): ListenerTls {
  const { certSetting, keySetting, listenKey } = settingNames(listener);
  const certs = config[certSetting] ?? [];
  const keys = config[keySetting]?.reveal() ?? [];
  const protocols = protocolOptions(config);

  if (certs.length === 0 && keys.length === 0) {
    // The proxy's is RSA: a certificate chosen by SNI is served whatever its key type only when
    // the listener's own is RSA (Node picks the key type from it before the SNI callback runs).
    const generated = selfSignedCertificate(listener === 'proxy' ? { keyType: 'rsa' } : {});
    const fingerprint = generated.x509.fingerprint256;
    logger.warn(
      { listener: listenKey, fingerprint_sha256: fingerprint, not_after: new Date(generated.x509.validTo).toISOString() },
      `${listenKey}: no certificate configured (set ${certSetting} and ${keySetting}); serving a self-signed certificate generated at start, SHA-256 fingerprint ${fingerprint}`,
    );
    return { options: { ...protocols, cert: generated.cert, key: generated.key }, fingerprints: [fingerprint], selfSigned: true };
  }
  if (certs.length !== keys.length) {
    throw new ListenerTlsError(certSetting, `was specified ${certs.length} times while ${keySetting} was specified ${keys.length} times`);
  }

  const pems: string[] = [];
  const keyPems: string[] = [];
  const types = new Map<string, number>();
  certs.forEach((value, i) => {
    const cert = read(certSetting, value);
    const key = read(keySetting, keys[i] as string);
    const x509 = parse(certSetting, cert, () => new X509Certificate(cert.pem), 'certificate');
    const privateKey: KeyObject = parse(keySetting, key, () => createPrivateKey(key.pem), 'key');
    if (!x509.checkPrivateKey(privateKey)) {
      throw new ListenerTlsError(keySetting, `the key from ${key.where} does not match the certificate from ${cert.where} (${certSetting})`);
    }
    const type = x509.publicKey.asymmetricKeyType ?? 'unknown';
    if (types.has(type)) {
      throw new ListenerTlsError(certSetting, `certificates ${(types.get(type) as number) + 1} and ${i + 1} both have ${type} keys; give at most one per key type (e.g. RSA and ECDSA)`);
    }
    types.set(type, i);
    const validTo = new Date(x509.validTo);
    const validFrom = new Date(x509.validFrom);
    const facts = { listener: listenKey, certificate: cert.where, subject: x509.subject.replace(/\n/g, ', '), fingerprint_sha256: x509.fingerprint256, not_after: validTo.toISOString() };
    if (validTo.getTime() < Date.now()) logger.warn(facts, `${certSetting}: the certificate from ${cert.where} expired on ${validTo.toISOString()}; clients will refuse it`);
    else if (validFrom.getTime() > Date.now()) logger.warn(facts, `${certSetting}: the certificate from ${cert.where} is not valid before ${validFrom.toISOString()}; clients will refuse it`);
    else logger.info(facts, `${listenKey}: TLS certificate from ${cert.where}, SHA-256 fingerprint ${x509.fingerprint256}`);
    pems.push(cert.pem);
    keyPems.push(key.pem);
  });
  return {
    options: { ...protocols, cert: pems, key: keyPems },
    fingerprints: pems.map((pem) => new X509Certificate(pem).fingerprint256),
    selfSigned: false,
  };
}

function read(setting: string, value: string): PemSource {
  try {
    return readPemSetting(setting, value);
  } catch (err) {
    throw err instanceof PemSettingError ? new ListenerTlsError(setting, err.message) : err;
  }
}

/** Kong's texts (`failed loading certificate from <v>`), with the file or `PEM text`, never the PEM. */
function parse<T>(setting: string, source: PemSource, make: () => T, what: 'certificate' | 'key'): T {
  try {
    return make();
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ListenerTlsError(setting, `failed loading ${what} from ${source.where}: ${reason}`);
  }
}
