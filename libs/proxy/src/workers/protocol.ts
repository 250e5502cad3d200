import type { SecureContextOptions } from 'node:tls';
import type { ListenAddress } from '@keygate/config';
import type { HealthMap } from '../balancer/monitor';
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
  /** Targets the node holds unhealthy. */
  readonly health: HealthMap;
  /**
   * For `ssl` entries: the default certificate (`ssl_cert`, or one made at start) with the
   * protocol options, and the protocol options alone (for the certificates chosen by SNI).
   */
  readonly tls?: { readonly defaults: SecureContextOptions; readonly protocol: SecureContextOptions };
}

export type ToWorker =
  | WorkerInit
  | { readonly t: 'snapshot'; readonly snapshot: Snapshot }
  | { readonly t: 'delta'; readonly delta: Delta }
  | { readonly t: 'metrics'; readonly id: number }
  | { readonly t: 'health'; readonly health: HealthMap }
  /** `handover`: a successor serves on the same sockets (reload): do not cut idle keep-alive connections. */
  | { readonly t: 'stop'; readonly handover?: boolean };

export type FromWorker =
  | { readonly t: 'ready'; readonly bound: ReadonlyArray<{ readonly host: string; readonly port: number; readonly tls?: boolean }> }
  | { readonly t: 'failed'; readonly message: string }
  | { readonly t: 'applied'; readonly version: number }
  | { readonly t: 'metrics'; readonly id: number; readonly metrics: unknown[] }
  | { readonly t: 'passive'; readonly upstream_id: string; readonly address: string; readonly healthy: boolean };

export function isFromWorker(message: unknown): message is FromWorker {
  return typeof message === 'object' && message !== null && typeof (message as { t?: unknown }).t === 'string';
}
