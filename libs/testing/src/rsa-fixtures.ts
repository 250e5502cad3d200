import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RsaFiles {
  readonly dir: string;
  /** `openssl rsa -pubout` style public key (PEM). */
  readonly publicPath: string;
  /** `openssl genrsa` style private key (PEM). */
  readonly privatePath: string;
  readonly publicPem: string;
  readonly privatePem: string;
}

/** An RSA key pair in files, as an operator makes them for the keyring (2048 bits). */
export function rsaKeyFiles(): RsaFiles {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-rsa-'));
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const publicPath = join(dir, 'cert.pem');
  const privatePath = join(dir, 'key.pem');
  writeFileSync(publicPath, publicKey);
  writeFileSync(privatePath, privateKey, { mode: 0o600 });
  return { dir, publicPath, privatePath, publicPem: publicKey, privatePem: privateKey };
}

/** A self-signed certificate and its key (PEM), made with the openssl CLI. */
export function selfSignedCertificate(commonName = 'example.test', keyType: 'rsa' | 'ec' = 'rsa'): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-cert-'));
  const key = keyType === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  execFileSync('openssl', ['req', '-x509', ...key, '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', `/CN=${commonName}`], { stdio: 'ignore' });
  return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
}
