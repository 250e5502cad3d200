import type { Queryable } from '@keygate/db';
import type { Logger } from '@keygate/logging';
import type { Keyring } from '../keyring';
import type { KeyringSettings } from '../settings';
import type { KeyringStore } from '../store';
import type { KeyringPeers } from './peers';

/** Runs in the activation's transaction: requests the re-encryption (outbox) with it. */
export type ActivationHook = (tx: Queryable, keyId: string, reason: 'activation' | 'manual' | 'rotation') => Promise<void>;

/** Counts rows still encrypted with a key, per table (live, for safe removal). */
export type KeyUsageCounter = (keyId: string) => Promise<Record<string, number>>;

export interface ClusterKeyringOptions {
  readonly settings: KeyringSettings;
  readonly store: KeyringStore;
  readonly keyring: Keyring;
  readonly logger: Logger;
  /** Where changes made here are announced (the cluster exchange; `noPeers` on a lone node). */
  readonly peers: KeyringPeers;
  readonly onActivation: ActivationHook;
  readonly usageOf: KeyUsageCounter;
  /** Whether rows hold digests keyed with an index key (then one existed: never make another). */
  readonly keyedDigestsExist: (tx: Queryable) => Promise<boolean>;
}
