import { randomUUID } from 'node:crypto';
import { rsaOaepDecrypt, rsaOaepEncrypt, rsaSign, rsaVerify, Secret, type DataKey } from '@keygate/crypto';
import type { MemberIdentity } from './identity';
import type { AdmittedPeer } from './members';

/** A data key wrapped to one recipient's public key and signed by its sender. */
export interface Envelope {
  readonly id: string;
  readonly recipient_node_id: string;
  readonly sender_node_id: string;
  readonly key_id: string;
  readonly wrapped_key: string;
  readonly signature: string;
  readonly expires_at: Date;
}

function signedText(e: Omit<Envelope, 'signature'>): string {
  return ['keygate-envelope:v1', e.id, e.sender_node_id, e.recipient_node_id, e.key_id, e.wrapped_key, e.expires_at.toISOString()].join('\n');
}

export function sealEnvelope(key: DataKey, sender: MemberIdentity, recipient: AdmittedPeer, ttlMs: number): Envelope {
  const unsigned = {
    id: randomUUID(),
    recipient_node_id: recipient.nodeId,
    sender_node_id: sender.nodeId,
    key_id: key.id,
    wrapped_key: rsaOaepEncrypt(recipient.publicKey, key.key.reveal()).toString('base64'),
    // Millisecond precision survives the round trip through timestamptz.
    expires_at: new Date(Math.floor((Date.now() + ttlMs) / 1000) * 1000),
  };
  return { ...unsigned, signature: rsaSign(sender.privateKey, signedText(unsigned)).toString('base64') };
}

export class EnvelopeError extends Error {
  readonly code = 'KEYRING_ENVELOPE_REJECTED';
}

/** Verifies the sender's signature, then unwraps with this member's private key. */
export function openEnvelope(envelope: Envelope, recipient: MemberIdentity, sender: AdmittedPeer): DataKey {
  if (envelope.recipient_node_id !== recipient.nodeId) throw new EnvelopeError('envelope is for another node');
  if (!rsaVerify(sender.publicKey, signedText(envelope), Buffer.from(envelope.signature, 'base64'))) {
    throw new EnvelopeError('signature does not verify against the sender’s registered key');
  }
  let key: Buffer;
  try {
    key = rsaOaepDecrypt(recipient.privateKey, Buffer.from(envelope.wrapped_key, 'base64'));
  } catch {
    throw new EnvelopeError('cannot unwrap the key with this node’s private key');
  }
  if (key.length !== 32) throw new EnvelopeError('wrapped key is not 32 bytes');
  return { id: envelope.key_id, key: new Secret(key) };
}
