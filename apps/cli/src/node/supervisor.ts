import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, processEnv, type LoadedConfig } from '@keygate/config';
import { createLogger, type Logger } from '@keygate/logging';
import { Backoff } from '@keygate/net';
import { bindListenHandle, createNodeInfo, ListenHandles, LISTEN_HANDLES_ENV, loadListenerTls, StatusServer } from '@keygate/runtime';
import type { Output } from '../output';
import { ClusterChild } from '../cluster/children';
import { localClusterSecret } from '../cluster/keyring';
import { waitFor } from '../cluster/net';
import { loadValidated } from '../commands/config-check';
import { mergeRoleMetrics } from './metrics';
import { createLayout, removeRunFiles, runningPid, writeState, type NodeLayout, type NodeState } from './layout';

/** The roles of an all-in-one node, in start order: the keyring holders first, as `cluster up`. */
export const ROLES = ['keyring-broker', 'admin', 'vault-resolver', 'proxy'] as const;
export type Role = (typeof ROLES)[number];

/** How long a role may take to become ready (start, and each step of a reload). */
const READY_TIMEOUT_MS = 120_000;
/** `keygate stop`: a role that has not stopped after this is killed. */
const FAST_STOP_MS = 5_000;
/** `keygate quit`: roles drain on their own terms (each exits within its own stop timeout). */
const GRACEFUL_STOP_MS = 60_000;

export interface SupervisorOptions {
  readonly conf?: string;
  /** `--aws-kms-secret-name`: read by this process and passed on to every role. */
  readonly awsKmsSecretName?: string;
  readonly layout: NodeLayout;
  /** The entry that starts a role (`apps/<role>/dist/main.js`). */
  readonly main: (role: Role) => string;
}

interface RoleSlot {
  readonly role: Role;
  child: ClusterChild;
  readonly restarts: Backoff;
}

async function fetchJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function keyIds(child: ClusterChild): Promise<string[]> {
  if (!child.statusUrl) return [];
  const status = await fetchJson(child.statusUrl).catch(() => undefined);
  const keyring = status?.body.keyring as { ids?: string[] } | undefined;
  return keyring?.ids ?? [];
}

/**
 * The all-in-one node (`keygate start` without an app name), Kong's traditional node made of
 * Keygate's roles: this process supervises one process per role (keyring-broker, admin,
 * vault-resolver, proxy), like nginx's master and its workers.
 *
 * - Listeners: each role serves its own `KONG_*` listener (`proxy_listen`, `admin_listen`,
 *   `vault_resolver_listen`) from the one configuration, on a socket this process binds once and
 *   hands to the role over its IPC channel (`listen-handles`): a role's successor accepts on the
 *   same socket, so a reload refuses no connection. `status_listen` belongs to the node: this
 *   process serves it, `/status` with a section per role, `/status/ready` 200 only when every
 *   role is ready, and `/metrics` with every role's metrics labelled `role`. Each role's own status
 *   listener is on 127.0.0.1 at a port the OS picks (the role reports it over its IPC channel);
 *   `node.json` in the prefix records them.
 * - `keyring_cluster_secret` unset: one is generated under the prefix (mode 0600) and kept.
 * - SIGTERM/SIGINT (`keygate stop`): roles get SIGTERM and are killed after 5 s. SIGQUIT
 *   (`keygate quit`): roles drain. SIGHUP (`keygate reload`): the configuration is validated again,
 *   then the roles are replaced one at a time: a role's successor starts beside it and, once ready
 *   and holding the keys the old one held (so the keyring in memory survives: some member always
 *   holds it), the old one drains and exits, as nginx's old workers do after a reload. A role
 *   that dies is restarted with backoff.
 * - Roles stop by themselves when this process goes away (their IPC channel closes).
 */
export class NodeSupervisor {
  readonly #slots: RoleSlot[] = [];
  /** Successors being started by a reload, not yet in their slot. */
  readonly #candidates = new Set<ClusterChild>();
  /** The roles' listen sockets, kept across their restarts. */
  readonly #handles = new ListenHandles(bindListenHandle);
  #logger: Logger;
  #status: StatusServer | undefined;
  #loaded: LoadedConfig | undefined;
  #generation = 0;
  #reloadError: string | undefined;
  #ready = false;
  #stopping: Promise<void> | undefined;
  #reloading: Promise<void> = Promise.resolve();

  constructor(private readonly options: SupervisorOptions) {
    this.#logger = createLogger({ level: 'info', bindings: { app: 'node' } });
  }

  /** Runs until stopped; resolves with the exit code. */
  async run(out: Output): Promise<number> {
    const { layout } = this.options;
    try {
      this.#loaded = await loadValidated({ ...this.#configSource(), overrides: { prefix: layout.prefix }, resolve: true });
    } catch (err) {
      if (err instanceof ConfigError) {
        out.err(`Error: ${err.message}`);
        return 1;
      }
      throw err;
    }
    const { config } = this.#loaded;
    if (config.cluster_node_credential && !config.keyring_cluster_secret) {
      out.err('Error: cluster_node_credential enrolls a data-plane node: start it with `keygate start proxy` (or vault-resolver). An all-in-one node runs the Admin API and the keyring broker, which are configured with keyring_cluster_secret instead');
      return 1;
    }
    this.#logger = createLogger({ level: config.log_level, bindings: { app: 'node' }, redactValues: this.#loaded.referenceValues() });
    for (const warning of this.#loaded.warnings) this.#logger.warn(warning);
    createLayout(layout);
    const other = runningPid(layout);
    if (other !== undefined && other !== process.pid) {
      out.err(`Error: Keygate is already running in ${layout.prefix} (pid ${other})`);
      return 1;
    }
    writeFileSync(layout.pidFile, `${process.pid}\n`);

    const stopped = new Promise<number>((resolveStop) => {
      const stop = (graceMs: number, code: number) => () => void this.stop(graceMs).then(() => resolveStop(code));
      process.on('SIGTERM', stop(FAST_STOP_MS, 0));
      process.on('SIGINT', stop(FAST_STOP_MS, 0));
      process.on('SIGQUIT', stop(GRACEFUL_STOP_MS, 0));
      process.on('SIGHUP', () => void this.reload());
      this.#failStart = (message) => {
        out.err(`Error: ${message}`);
        void this.stop(FAST_STOP_MS).then(() => resolveStop(1));
      };
    });
    void this.#start(config).catch((err: unknown) => this.#failStart((err as Error).message));
    return stopped;
  }

  #failStart: (message: string) => void = () => undefined;

  #configSource(): { conf?: string; awsKmsSecretName?: string } {
    const { conf, awsKmsSecretName } = this.options;
    return { ...(conf ? { conf } : {}), ...(awsKmsSecretName ? { awsKmsSecretName } : {}) };
  }

  async #start(config: LoadedConfig['config']): Promise<void> {
    const node = createNodeInfo('node');
    if (config.status_listen.length > 0) {
      this.#status = new StatusServer({ node, listen: config.status_listen, logger: this.#logger, tls: () => loadListenerTls(config, 'status', this.#logger).options });
      this.#status.addSection('roles', () => this.#roleStatus());
      this.#status.addReadinessCheck(() => this.#notReadyReason());
      this.#status.addMetrics(async () => mergeRoleMetrics(await this.#roleMetrics()));
      await this.#status.start();
    }
    for (const group of [ROLES.slice(0, 2), ROLES.slice(2)]) {
      const started = group.map((role) => this.#launch(role));
      await Promise.all(started.map((slot) => slot.child.waitReady(READY_TIMEOUT_MS)));
      if (this.#stopping) return;
    }
    this.#ready = true;
    this.#status?.markStarted();
    this.#publish();
    this.#logger.info({ prefix: this.options.layout.prefix, roles: ROLES }, 'keygate node started');
  }

  #env(): Record<string, string | undefined> {
    const config = this.#loaded!.config;
    const secret = config.keyring_cluster_secret ? {} : { KONG_KEYRING_CLUSTER_SECRET: localClusterSecret(this.options.layout.prefix) };
    return { ...processEnv(), ...secret, KONG_PREFIX: this.options.layout.prefix, KONG_STATUS_LISTEN: '127.0.0.1:0', [LISTEN_HANDLES_ENV]: '1' };
  }

  #spawn(role: Role): ClusterChild {
    const child = new ClusterChild(
      {
        name: role,
        main: this.options.main(role),
        args: [...(this.options.conf ? ['-c', resolve(this.options.conf)] : []), ...(this.options.awsKmsSecretName ? ['--aws-kms-secret-name', this.options.awsKmsSecretName] : [])],
        env: this.#env(),
        logFormat: 'json',
        attach: (process) => this.#handles.serve(process),
      },
      (line) => process.stdout.write(`${line}\n`),
      (c, code) => this.#onExit(c, code),
    );
    child.start(false);
    return child;
  }

  #launch(role: Role, slot?: RoleSlot): RoleSlot {
    const child = this.#spawn(role);
    const target = slot ?? { role, child, restarts: new Backoff({ initialMs: 1_000, maxMs: 30_000 }) };
    target.child = child;
    if (!slot) this.#slots.push(target);
    return target;
  }

  #onExit(child: ClusterChild, code: number | null): void {
    const slot = this.#slots.find((s) => s.child === child);
    if (!slot || this.#stopping) return;
    if (!this.#ready) return this.#failStart(`${slot.role} exited during start-up (code ${code}; see ${this.options.layout.logFile})`);
    const delayMs = slot.restarts.next();
    this.#logger.error({ role: slot.role, code, restart_in_ms: delayMs }, `${slot.role} exited unexpectedly; restarting it`);
    setTimeout(() => {
      if (this.#stopping || slot.child !== child) return;
      this.#launch(slot.role, slot);
      void slot.child.waitReady(READY_TIMEOUT_MS).then(
        () => {
          slot.restarts.reset();
          this.#publish();
        },
        (err: unknown) => this.#logger.error({ role: slot.role, err }, `${slot.role} did not come back`),
      );
    }, delayMs).unref();
  }

  /** SIGHUP: validate the configuration again; if it holds, replace the roles one at a time. */
  reload(): Promise<void> {
    this.#reloading = this.#reloading.then(async () => {
      if (this.#stopping || !this.#ready) return;
      try {
        this.#loaded = await loadValidated({ ...this.#configSource(), overrides: { prefix: this.options.layout.prefix }, resolve: true });
        for (const warning of this.#loaded.warnings) this.#logger.warn(warning);
        this.#logger.info('reloading: replacing the roles one at a time');
        for (const slot of this.#slots) {
          if (this.#stopping) return;
          await this.#replace(slot);
          this.#publish();
        }
        // A listener the configuration no longer has: nobody accepts on it any more.
        await this.#handles.closeUnused();
        this.#reloadError = undefined;
        this.#logger.info('reloaded');
      } catch (err) {
        if (this.#stopping) return;
        this.#reloadError = (err as Error).message;
        this.#logger.error({ err }, 'reload failed; the node keeps running');
      }
      this.#generation++;
      this.#publish();
    });
    return this.#reloading;
  }

  /**
   * Starts the role's successor beside it (on the same listen sockets), waits until it is ready
   * and holds the keys the old one held, then lets the old one drain. A successor that fails is
   * stopped and the old one keeps serving.
   */
  async #replace(slot: RoleSlot): Promise<void> {
    const held = await keyIds(slot.child);
    const next = this.#spawn(slot.role);
    this.#candidates.add(next);
    try {
      await next.waitReady(READY_TIMEOUT_MS);
      // The old one may leave only once its successor holds what it held.
      const complete = await waitFor(async () => (await keyIds(next)).length >= held.length, 30_000, 250);
      if (!complete) this.#logger.warn({ role: slot.role }, `${slot.role} did not receive every key within 30 s; continuing`);
    } catch (err) {
      await next.stop(FAST_STOP_MS);
      throw err;
    } finally {
      this.#candidates.delete(next);
    }
    // Usually the old one; a restarted one if the old one died meanwhile.
    const previous = slot.child;
    slot.child = next;
    await previous.stop(GRACEFUL_STOP_MS, 'SIGQUIT');
  }

  stop(graceMs: number): Promise<void> {
    this.#stopping ??= (async () => {
      this.#logger.info('stopping the keygate node');
      this.#status?.markStopping();
      await Promise.all([...this.#slots.map((slot) => slot.child), ...this.#candidates].map((child) => child.stop(graceMs)));
      await this.#handles.close();
      await this.#status?.stop();
      removeRunFiles(this.options.layout);
      this.#logger.info('keygate node stopped');
      this.#logger.flush();
    })();
    return this.#stopping;
  }

  #publish(): void {
    if (this.#stopping) return;
    const state: NodeState = {
      pid: process.pid,
      ...(this.options.conf ? { conf: resolve(this.options.conf) } : {}),
      ready: this.#ready,
      generation: this.#generation,
      ...(this.#reloadError ? { reload_error: this.#reloadError } : {}),
      roles: this.#slots.map((slot) => ({ name: slot.role, ...(slot.child.pid ? { pid: slot.child.pid } : {}), ...(slot.child.statusUrl ? { status_url: slot.child.statusUrl } : {}) })),
    };
    writeState(this.options.layout, state);
  }

  async #roleStatus(): Promise<Record<string, unknown>> {
    const entries = await Promise.all(
      this.#slots.map(async (slot) => {
        const url = slot.child.statusUrl;
        const status = url ? await fetchJson(url).catch((err: unknown) => ({ status: 0, body: { error: (err as Error).message } })) : undefined;
        return [slot.role, status?.body ?? { ready: false, not_ready_reason: 'starting' }] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  /** Each role's `/metrics` (its own status listener); a role that does not answer is left out. */
  async #roleMetrics(): Promise<Array<{ role: string; text: string }>> {
    const parts = await Promise.all(
      this.#slots.map(async (slot) => {
        const url = slot.child.statusUrl?.replace(/\/status$/, '/metrics');
        if (!url) return undefined;
        const res = await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
        return res?.ok ? { role: slot.role, text: await res.text() } : undefined;
      }),
    );
    return parts.filter((part) => part !== undefined);
  }

  async #notReadyReason(): Promise<string | undefined> {
    for (const slot of this.#slots) {
      const url = slot.child.statusUrl;
      if (!url) return `${slot.role}: starting`;
      const ready = await fetchJson(`${url}/ready`).catch((err: unknown) => ({ status: 0, body: { message: (err as Error).message } }));
      if (ready.status !== 200) return `${slot.role}: ${String(ready.body.message ?? 'not ready')}`;
    }
    return undefined;
  }
}
