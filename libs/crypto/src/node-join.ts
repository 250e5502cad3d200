import { createCipheriv, createDecipheriv, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { constantTimeEqual } from './mac';
import { Secret } from './secret';
import { deriveKey, hmacBase64 } from './signing';

/**
 * The per-node admission credential an enrollment issues (`cluster_node_credential`):
 * `kgn1.<credential id>.<32 random-looking bytes, base64url>`. The bytes are derived by the
 * admin node from the cluster secret and the id, so the database needs to hold none of them.
 */
export interface NodeCredential {
  readonly id: string;
  readonly secret: Secret<Buffer>;
}

const PREFIX = 'kgn1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function formatNodeCredential(id: string, secret: Secret<Buffer>): string {
  return `${PREFIX}.${id}.${secret.reveal().toString('base64url')}`;
}

export function parseNodeCredential(text: string): NodeCredential | undefined {
  const [prefix, id, secret, ...rest] = text.trim().split('.');
  if (prefix !== PREFIX || !id || !UUID.test(id) || !secret || rest.length > 0) return undefined;
  const bytes = Buffer.from(secret, 'base64url');
  return bytes.length === 32 ? { id, secret: new Secret(bytes) } : undefined;
}

/** What a node sends to be admitted (`POST /cluster/join`), all but the proof. */
export interface JoinClaim {
  readonly credential_id: string;
  readonly node_id: string;
  readonly app: string;
  readonly hostname: string;
  /** hex SHA-256 of the node's ephemeral RSA public key: the admission proof names it. */
  readonly rsa: string;
  /** The node's raw Ed25519 public key, base64: the admission proof names it. */
  readonly sig_key: string;
  /** The node's ephemeral X25519 public key (raw, base64url): the answer is sealed to it. */
  readonly public_key: string;
  /** Milliseconds since the epoch; the admin refuses claims far from its clock. */
  readonly ts: number;
  readonly nonce: string;
}

export interface JoinRequest extends JoinClaim {
  readonly proof: string;
}

/**
 * What an admitted node receives: the admission key's public half (to check every member) and the
 * proof the Admin API signed for this node's claim. Never the cluster secret.
 */
export interface JoinGrant {
  readonly admission_key: string;
  readonly proof: string;
}

/** The sealed `JoinGrant`: only the holder of the node's private key and credential opens it, and no one else can forge it. */
export interface JoinAnswer {
  readonly public_key: string;
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
}

const claimText = (c: JoinClaim) => JSON.stringify([c.credential_id, c.node_id, c.app, c.hostname, c.rsa, c.sig_key, c.public_key, c.ts, c.nonce]);

/** HMAC of the claim under a subkey of the node credential. */
export function joinProof(secret: Secret<Buffer>, claim: JoinClaim): string {
  return hmacBase64(deriveKey(secret, 'keygate node join request v2'), claimText(claim));
}

export function verifyJoinProof(secret: Secret<Buffer>, request: JoinRequest): boolean {
  return typeof request.proof === 'string' && constantTimeEqual(request.proof, joinProof(secret, request));
}

export interface JoinKeyPair {
  readonly publicKey: string;
  readonly privateKey: KeyObject;
}

export function newJoinKeyPair(): JoinKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return { publicKey: rawX25519(publicKey), privateKey };
}

function rawX25519(key: KeyObject): string {
  return Buffer.from(key.export({ format: 'jwk' }).x as string, 'base64url').toString('base64url');
}

function x25519Public(raw: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: raw }, format: 'jwk' });
}

/** The answer key: the X25519 shared secret and the node credential, bound to the claim. */
function answerKey(shared: Buffer, credential: Secret<Buffer>, claim: JoinClaim): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.concat([shared, credential.reveal()]), Buffer.from(claim.nonce), `keygate node join answer v2\n${claimText(claim)}`, 32));
}

/**
 * Seals `payload` (the node's admission, `JoinGrant`) to the node that made `claim`: X25519 with a fresh key,
 * HKDF over the shared secret and the node credential, AES-256-GCM. A network observer learns
 * nothing; whoever lacks the credential can neither read nor forge an answer.
 */
export function sealJoinAnswer(credential: Secret<Buffer>, claim: JoinClaim, grant: JoinGrant): JoinAnswer {
  const payload = JSON.stringify({ admission_key: grant.admission_key, proof: grant.proof });
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const key = answerKey(diffieHellman({ privateKey, publicKey: x25519Public(claim.public_key) }), credential, claim);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(payload, 'utf8'), cipher.final()]);
  return { public_key: rawX25519(publicKey), iv: iv.toString('base64url'), ciphertext: ciphertext.toString('base64url'), tag: cipher.getAuthTag().toString('base64url') };
}

/** Opens an answer; throws when it was not sealed for this claim with this credential. */
export function openJoinAnswer(credential: Secret<Buffer>, claim: JoinClaim, privateKey: KeyObject, answer: JoinAnswer): JoinGrant {
  const key = answerKey(diffieHellman({ privateKey, publicKey: x25519Public(answer.public_key) }), credential, claim);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(answer.iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(answer.tag, 'base64url'));
  const grant = JSON.parse(Buffer.concat([decipher.update(Buffer.from(answer.ciphertext, 'base64url')), decipher.final()]).toString('utf8')) as Partial<JoinGrant>;
  if (typeof grant.admission_key !== 'string' || typeof grant.proof !== 'string') throw new Error('the join answer holds no admission');
  return { admission_key: grant.admission_key, proof: grant.proof };
}

/** Whether `text` is a raw X25519 public key (a claim's `public_key`). */
export function isJoinPublicKey(text: unknown): text is string {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(text)) return false;
  try {
    x25519Public(text);
    return true;
  } catch {
    return false;
  }
}

