import { randomUUID } from 'node:crypto';
import { ed25519Sign, ed25519Verify, rsaOaepDecrypt, rsaOaepEncrypt, Secret, type DataKey } from '@keygate/crypto';
import type { MemberIdentity } from './identity';
import type { AdmittedPeer } from './members';

/** A data key wrapped to one recipient's RSA key and signed by its sender's Ed25519 identity. */
export interface Envelope {
  readonly id: string;
  readonly recipient_node_id: string;
  readonly sender_node_id: string;
  readonly key_id: string;
  readonly origin: 'keygate' | 'kong';
  readonly wrapped_key: string;
  readonly signature: string;
  readonly expires_at: Date;
}

function signedText(e: Omit<Envelope, 'signature'>): string {
  return ['keygate-envelope:v2', e.id, e.sender_node_id, e.recipient_node_id, e.key_id, e.origin, e.wrapped_key, e.expires_at.toISOString()].join('\n');
}

export function sealEnvelope(key: DataKey, sender: MemberIdentity, recipient: { nodeId: string; publicKey: AdmittedPeer['publicKey'] }, ttlMs: number): Envelope {
  if (!recipient.publicKey) throw new EnvelopeError(`no RSA key is known for member ${recipient.nodeId}`);
  const unsigned = {
    id: randomUUID(),
    recipient_node_id: recipient.nodeId,
    sender_node_id: sender.nodeId,
    key_id: key.id,
    origin: key.origin ?? 'keygate',
    wrapped_key: rsaOaepEncrypt(recipient.publicKey, key.key.reveal()).toString('base64'),
    // Second precision survives the round trip through timestamptz.
    expires_at: new Date(Math.floor((Date.now() + ttlMs) / 1000) * 1000),
  } as const;
  return { ...unsigned, signature: ed25519Sign(sender.signingPrivateKey, signedText(unsigned)) };
}

export class EnvelopeError extends Error {
  readonly code = 'KEYRING_ENVELOPE_REJECTED';
}

/** Verifies the sender's signature and the expiry, then unwraps with this member's private key. */
export function openEnvelope(envelope: Envelope, recipient: MemberIdentity, sender: AdmittedPeer, now = Date.now()): DataKey {
  if (envelope.recipient_node_id !== recipient.nodeId) throw new EnvelopeError('envelope is for another node');
  if (envelope.origin !== 'keygate' && envelope.origin !== 'kong') throw new EnvelopeError('unknown key origin');
  if (!ed25519Verify(sender.signingKey, signedText(envelope), envelope.signature)) {
    throw new EnvelopeError('signature does not verify against the sender’s admitted signing key');
  }
  if (new Date(envelope.expires_at).getTime() < now) throw new EnvelopeError('envelope expired');
  let key: Buffer;
  try {
    key = rsaOaepDecrypt(recipient.privateKey, Buffer.from(envelope.wrapped_key, 'base64'));
  } catch {
    throw new EnvelopeError('cannot unwrap the key with this node’s private key');
  }
  if (key.length !== 32) throw new EnvelopeError('wrapped key is not 32 bytes');
  return { id: envelope.key_id, key: new Secret(key), ...(envelope.origin === 'kong' ? { origin: 'kong' as const } : {}) };
}
