import { ed25519Verify, isAdmittedClaim, type ClusterAdmission } from '@keygate/crypto';
import type { Logger } from '@keygate/logging';
import type { IdentityClaim } from './identity';
import { validMessage, type KeyringMessage, type SignedBody, type WireMessage } from './messages';

export interface GuardOptions {
  /** Checks senders' admission proofs; undefined: nothing is admitted. */
  readonly admission: ClusterAdmission | undefined;
  readonly selfId: string;
  readonly logger: Logger;
  /**
   * Whether this node acts on a message at all (e.g. envelopes for another member, reports):
   * those are dropped unverified, so checking them costs nothing either.
   */
  readonly relevant?: (msg: KeyringMessage) => boolean;
  /** How far a message's timestamp may be from this node's clock. Default 60 s. */
  readonly windowMs?: number;
  /** Messages one sender may send in a burst, and per second after it. */
  readonly burst?: number;
  readonly perSecond?: number;
  readonly now?: () => number;
}

export type Refusal = 'malformed' | 'stale' | 'not admitted' | 'bad signature' | 'replayed' | 'rate limited';

export interface Verified {
  readonly from: IdentityClaim;
  readonly msg: KeyringMessage;
}

/** How often a refusal reason is logged at most (with the count since the last line). */
const LOG_EVERY_MS = 60_000;

/**
 * The door of the keyring channel. Checks, cheapest first and before any database or RSA work:
 * shape, freshness, admission (an Ed25519 check by the admission key, once per sender), the
 * message's Ed25519 signature, replay
 * (nonces seen within the window), and a per-sender rate. A flood of forgeries costs a JSON parse
 * and one signature check each, and is logged once a minute per reason, with the count, not once per message.
 */
export class MessageGuard {
  readonly refused: Record<Refusal, number> = { malformed: 0, stale: 0, 'not admitted': 0, 'bad signature': 0, replayed: 0, 'rate limited': 0 };
  readonly #seen = new Map<string, number>();
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #lastLogged = new Map<Refusal, { at: number; count: number }>();

  constructor(private readonly options: GuardOptions) {}

  get windowMs(): number {
    return this.options.windowMs ?? 60_000;
  }

  /** The verified message, or undefined (refused and counted; own messages are ignored silently). */
  open(wire: WireMessage): Verified | undefined {
    const now = this.options.now?.() ?? Date.now();
    let body: SignedBody;
    try {
      body = JSON.parse(wire.m) as SignedBody;
    } catch {
      return this.#refuse('malformed');
    }
    if (!body || body.v !== 2 || !isAdmittedClaim(body.from) || !validMessage(body.msg) || typeof body.nonce !== 'string' || typeof body.ts !== 'number') return this.#refuse('malformed');
    if (body.from.node_id === this.options.selfId || this.options.relevant?.(body.msg) === false) return undefined;
    if (Math.abs(now - body.ts) > this.windowMs) return this.#refuse('stale', body.from);
    const key = this.options.admission?.memberKey(body.from, now);
    if (!key) return this.#refuse('not admitted', body.from);
    if (!ed25519Verify(key, wire.m, wire.s)) return this.#refuse('bad signature', body.from);
    const nonce = `${body.from.node_id}:${body.nonce}`;
    this.#forgetOld(now);
    if (this.#seen.has(nonce)) return this.#refuse('replayed', body.from);
    this.#seen.set(nonce, body.ts);
    if (!this.#take(body.from.node_id, now)) return this.#refuse('rate limited', body.from);
    return { from: body.from, msg: body.msg };
  }

  #forgetOld(now: number): void {
    if (this.#seen.size < 1024) return;
    for (const [nonce, ts] of this.#seen) if (now - ts > this.windowMs) this.#seen.delete(nonce);
  }

  /** Token bucket per sender: an admitted member that loops cannot keep the others busy. */
  #take(sender: string, now: number): boolean {
    const burst = this.options.burst ?? 50;
    const rate = this.options.perSecond ?? 20;
    const bucket = this.#buckets.get(sender) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.#buckets.set(sender, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  #refuse(reason: Refusal, from?: IdentityClaim): undefined {
    this.refused[reason]++;
    const now = Date.now();
    const last = this.#lastLogged.get(reason);
    if (last && now - last.at < LOG_EVERY_MS) {
      last.count++;
      return undefined;
    }
    this.#lastLogged.set(reason, { at: now, count: 0 });
    this.options.logger.warn(
      { reason, claimed_node_id: from?.node_id, claimed_app: from?.app, refused_since_last_line: last?.count ?? 0, refused_total: this.refused[reason] },
      `keyring: refused a message on the keyring channel (${reason}); the bus carries hints, nothing changed`,
    );
    return undefined;
  }
}
