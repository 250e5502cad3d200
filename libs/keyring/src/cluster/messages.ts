import { randomBytes } from 'node:crypto';
import { channel } from '@keygate/bus';
import { admittedClaim, ed25519Sign } from '@keygate/crypto';
import type { MetaRow } from '../meta';
import type { IdentityClaim, MemberIdentity } from './identity';

/**
 * A `keyring_meta` row as its writer stored it, carried with an activation or a removal. It is a
 * fact only if its MAC verifies under the key it names (see meta.ts): a member that holds the key
 * checks it and applies it without reading the row back; otherwise it reads the table.
 */
export type CarriedRow = Pick<MetaRow, 'state' | 'origin' | 'generation' | 'mac'>;

/**
 * What keyring members say to each other over NOTIFY. Ids only: keys travel in envelopes stored
 * in `keyring_envelopes`, and the tables are the truth a member resyncs from. Every message is
 * signed by its sender's Ed25519 identity and names that identity with its admission proof, so a
 * receiver can refuse a forgery with one HMAC, before any database or RSA work.
 */
export type KeyringMessage =
  /** The sender lacks keys (`*` = all) and asks admitted holders to wrap them to `rsa_key` (base64 DER). */
  | { readonly type: 'request'; readonly key_ids: string[] | '*'; readonly rsa_key: string }
  /** Envelopes are waiting for `to`. */
  | { readonly type: 'envelopes'; readonly to: string; readonly ids: string[] }
  | { readonly type: 'activated'; readonly key_id: string; readonly row?: CarriedRow }
  | { readonly type: 'removed'; readonly key_id: string; readonly row?: CarriedRow }
  /**
   * The sender applied a change (for convergence reports and benchmarks); `at`: when, on the
   * sender's clock (ms since the epoch, sub-millisecond), since the report itself is sent a
   * moment later.
   */
  | { readonly type: 'applied'; readonly active: string | null; readonly key_ids: string[]; readonly at?: number };

/** The signed part: who, when, a nonce (replays are refused), and the message. */
export interface SignedBody {
  readonly v: 2;
  readonly from: IdentityClaim;
  /** Sender's clock, ms since the epoch. */
  readonly ts: number;
  readonly nonce: string;
  readonly msg: KeyringMessage;
}

/** On the wire: `m` is the signed JSON text, `s` its Ed25519 signature. */
export interface WireMessage {
  readonly m: string;
  readonly s: string;
}

const wire = (value: unknown): WireMessage | undefined => {
  const v = value as Partial<WireMessage> | null;
  return v && typeof v.m === 'string' && typeof v.s === 'string' ? (v as WireMessage) : undefined;
};

export const KEYRING_CHANNEL = channel<WireMessage>('keygate_keyring', wire);

/**
 * Members' `applied` reports, on a channel of their own: every member LISTENs to the keyring
 * channel, so a report there would wake every member once per member at each activation
 * (N² wake-ups, each a parse) just to be dropped. Only observers (the cluster page, benchmarks)
 * listen here.
 */
export const KEYRING_REPORTS = channel<WireMessage>('keygate_keyring_reports', wire);

export function sealMessage(identity: MemberIdentity, msg: KeyringMessage, now = Date.now()): WireMessage {
  const body: SignedBody = { v: 2, from: admittedClaim(identity), ts: now, nonce: randomBytes(12).toString('base64url'), msg };
  const m = JSON.stringify(body);
  return { m, s: ed25519Sign(identity.signingPrivateKey, m) };
}

const KEY_ID = /^[A-Za-z0-9_.~:-]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ids = (v: unknown, pattern: RegExp) => Array.isArray(v) && v.length <= IDS_PER_MESSAGE && v.every((x) => typeof x === 'string' && pattern.test(x));

/** The message's shape, checked field by field: anything else is not a message. */
export function validMessage(v: unknown): v is KeyringMessage {
  const m = v as Record<string, unknown> | null;
  if (!m || typeof m !== 'object') return false;
  switch (m.type) {
    case 'request':
      return (m.key_ids === '*' || ids(m.key_ids, KEY_ID)) && typeof m.rsa_key === 'string' && m.rsa_key.length < 2048;
    case 'envelopes':
      return typeof m.to === 'string' && UUID.test(m.to) && ids(m.ids, UUID);
    case 'activated':
    case 'removed':
      return typeof m.key_id === 'string' && KEY_ID.test(m.key_id) && (m.row === undefined || validRow(m.row));
    case 'applied':
      return (m.active === null || (typeof m.active === 'string' && KEY_ID.test(m.active))) && Array.isArray(m.key_ids) && (m.at === undefined || Number.isFinite(m.at));
    default:
      return false;
  }
}

const GENERATION = /^[0-9]{1,19}$/;
const MAC = /^[A-Za-z0-9+/=_-]{1,128}$/;

function validRow(v: unknown): v is CarriedRow {
  const r = v as Record<string, unknown> | null;
  return (
    !!r &&
    typeof r === 'object' &&
    ['active', 'alive', 'tombstoned'].includes(r.state as string) &&
    (r.origin === 'keygate' || r.origin === 'kong') &&
    (r.generation === null || (typeof r.generation === 'string' && GENERATION.test(r.generation))) &&
    typeof r.mac === 'string' &&
    MAC.test(r.mac)
  );
}

/** Key and envelope ids per NOTIFY, to stay far below the 8000-byte payload limit. */
export const IDS_PER_MESSAGE = 100;
