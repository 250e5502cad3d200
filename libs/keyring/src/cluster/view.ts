import type { Bus } from '@keygate/bus';
import type { ClusterAdmission } from '@keygate/crypto';
import type { Logger } from '@keygate/logging';
import { MessageGuard } from './guard';
import { isAdmittedRow, type Members } from './members';
import { KEYRING_REPORTS } from './messages';

/** What a member last said about its keyring in a signed `applied` message (key ids only). */
export interface MemberReport {
  readonly node_id: string;
  readonly app: string;
  readonly active: string | null;
  readonly key_ids: readonly string[];
  /** The sender's timestamp (ms), inside the guard's freshness window. */
  readonly at: number;
}

/** A live `cluster_nodes` row as the cluster page shows it. */
export interface MemberView {
  readonly node_id: string;
  readonly app: string;
  readonly hostname: string;
  readonly version: string | null;
  readonly started_at: number | null;
  readonly last_seen: number;
  /** Its admission proof verifies: node id, app and public keys are a member's. */
  readonly admitted: boolean;
  /** From the last signed report heard, else from the row (`source` says which). */
  readonly active: string | null;
  readonly key_ids: readonly string[];
  /**
   * `self`: this node's own keyring; `signed`: a verified `applied` message; `row`: the row's
   * columns, which a database writer can edit.
   */
  readonly source: 'self' | 'signed' | 'row';
}

export interface ClusterViewOptions {
  readonly bus: Bus;
  readonly members: Members;
  readonly admission: ClusterAdmission | undefined;
  readonly selfId: string;
  readonly logger: Logger;
  /** This node's own view (it does not hear its own messages). */
  readonly self: () => { active: string | null; key_ids: string[] };
}

/**
 * A read-only view of the cluster's members for the admin's cluster page. A `cluster_nodes` row
 * is writable by anyone with database access, so it is shown with whether its admission proof
 * verifies; what a member holds comes from its signed `applied` messages, opened with a guard of
 * this view's own (fresh, admitted, signed, not replayed), or is marked as read from the row.
 * Nothing here changes the keyring.
 */
export class ClusterView {
  readonly #reports = new Map<string, MemberReport>();
  readonly #listeners = new Set<(report: MemberReport) => void>();
  readonly #guard: MessageGuard;
  #unsubscribe: (() => void) | undefined;

  constructor(private readonly options: ClusterViewOptions) {
    this.#guard = new MessageGuard({ admission: options.admission, selfId: options.selfId, logger: options.logger, relevant: (msg) => msg.type === 'applied' });
  }

  start(): void {
    this.#unsubscribe ??= this.options.bus.subscribe(KEYRING_REPORTS, (wire) => {
      const verified = this.#guard.open(wire);
      if (!verified || verified.msg.type !== 'applied') return;
      const report: MemberReport = { node_id: verified.from.node_id, app: verified.from.app, active: verified.msg.active, key_ids: verified.msg.key_ids, at: Date.now() };
      this.#reports.set(report.node_id, report);
      for (const listener of this.#listeners) listener(report);
    });
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  /** Called with every verified report as it arrives. */
  onReport(listener: (report: MemberReport) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Live members, each with whether its row verifies and where its key view comes from. */
  async members(): Promise<MemberView[]> {
    const rows = await this.options.members.live();
    const seen = new Set(rows.map((r) => r.node_id));
    for (const id of this.#reports.keys()) if (!seen.has(id)) this.#reports.delete(id);
    return rows.map((row) => {
      const self = row.node_id === this.options.selfId ? this.options.self() : undefined;
      const report = this.#reports.get(row.node_id);
      const admitted = isAdmittedRow(this.options.admission, row);
      const signed = admitted ? report : undefined;
      const known = self ?? signed;
      return {
        node_id: row.node_id,
        app: row.app,
        hostname: row.hostname,
        version: row.version ?? null,
        started_at: row.started_at ? new Date(row.started_at).getTime() : null,
        last_seen: new Date(row.last_seen).getTime(),
        admitted,
        active: known ? known.active : row.active_key_id,
        key_ids: known ? known.key_ids : row.key_ids,
        source: self ? 'self' : signed ? 'signed' : 'row',
      };
    });
  }
}
