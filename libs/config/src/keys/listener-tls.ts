import { key } from '../spec';
import { boolean, list, oneOf, secretList, string, tlsProtocols } from '../types';

const CERT = 'a comma-separated list of file paths, PEM text or base64 PEM';

const cert = (listenKey: string) =>
  key({
    type: list(CERT),
    origin: 'kong',
    doc: `Certificate(s) for the \`ssl\` entries of \`${listenKey}\`: file path, PEM text or base64 PEM; a list gives one certificate per key type (RSA and ECDSA); a file may carry its chain. Unset: a self-signed certificate is generated in memory at start and its SHA-256 fingerprint logged.`,
  });

const certKey = (certSetting: string) =>
  key({
    type: secretList(CERT),
    origin: 'kong',
    secret: true,
    doc: `Private key(s) for \`${certSetting}\`, in the same order. Never printed; may be a \`{vault://...}\` reference.`,
  });

/**
 * TLS on the listeners (proxy, Admin API, status, cluster page): Kong's keys. On the proxy the
 * `certificates` chosen by SNI come first; `ssl_cert` is the default for names without one. Certificates
 * are read and checked (key matches, expiry) by the node that serves the listener, at start.
 */
export const LISTENER_TLS_KEYS = {
  ssl_cert: cert('proxy_listen'),
  ssl_cert_key: certKey('ssl_cert'),
  admin_ssl_cert: cert('admin_listen'),
  admin_ssl_cert_key: certKey('admin_ssl_cert'),
  status_ssl_cert: cert('status_listen'),
  status_ssl_cert_key: certKey('status_ssl_cert'),
  admin_gui_ssl_cert: cert('admin_gui_listen'),
  admin_gui_ssl_cert_key: certKey('admin_gui_ssl_cert'),
  ssl_cipher_suite: key({
    type: oneOf('modern', 'intermediate', 'custom'),
    default: 'intermediate',
    origin: 'kong',
    doc: "TLS versions and ciphers of every `ssl` listener. `modern`: TLSv1.3 only. `intermediate`: TLSv1.2 and TLSv1.3 with Mozilla's intermediate ECDHE ciphers (no DHE). `custom`: `ssl_protocols`, `ssl_ciphers`, `ssl_prefer_server_ciphers`. Kong's `old` (TLSv1, TLSv1.1) and `fips` are refused.",
  }),
  ssl_protocols: key({
    type: tlsProtocols(),
    default: 'TLSv1.2 TLSv1.3',
    origin: 'kong',
    doc: 'TLS versions when `ssl_cipher_suite = custom` (ignored otherwise, as in Kong). TLSv1 and TLSv1.1 are refused.',
  }),
  ssl_ciphers: key({
    type: string('an OpenSSL cipher list'),
    origin: 'kong',
    doc: "TLSv1.2 ciphers (OpenSSL syntax) when `ssl_cipher_suite = custom`; unset: Node's defaults. TLSv1.3 suites are not affected.",
  }),
  ssl_prefer_server_ciphers: key({
    type: boolean(),
    default: 'on',
    origin: 'kong',
    doc: "Prefer the server's cipher order when `ssl_cipher_suite = custom`; `modern` and `intermediate` follow the client's order.",
  }),
};
