import type { ListenAddress } from '@keygate/config';
import type { KongLogLevel } from '@keygate/logging';
import type { ProxySettings } from '../http/settings';
import type { Delta, Snapshot } from '../state/types';

/** The first message a worker gets: everything it needs; it reads no configuration and has no database. */
export interface WorkerInit {
  readonly t: 'init';
  readonly index: number;
  readonly nodeId: string;
  readonly logLevel: KongLogLevel;
  readonly listen: readonly ListenAddress[];
  /** The credential HMAC key (base64); it exists only in the node's and its workers' memory. */
  readonly hmacKey: string;
  readonly settings: ProxySettings;
  readonly snapshot: Snapshot;
}

export type ToWorker =
  | WorkerInit
  | { readonly t: 'snapshot'; readonly snapshot: Snapshot }
  | { readonly t: 'delta'; readonly delta: Delta }
  | { readonly t: 'metrics'; readonly id: number }
  | { readonly t: 'stop' };

export type FromWorker =
  | { readonly t: 'ready'; readonly bound: ReadonlyArray<{ readonly host: string; readonly port: number }> }
  | { readonly t: 'failed'; readonly message: string }
  | { readonly t: 'applied'; readonly version: number }
  | { readonly t: 'metrics'; readonly id: number; readonly metrics: unknown[] };

export function isFromWorker(message: unknown): message is FromWorker {
  return typeof message === 'object' && message !== null && typeof (message as { t?: unknown }).t === 'string';
}
