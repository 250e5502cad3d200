import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '@keygate/logging';
import type { KeyringService } from './service';

/** Mean delay between applying an activation and reading its time from the database. */
const READ_AFTER_ACTIVATION_MS = 200;

/**
 * A member's keyring in Prometheus: keys held, the active key's age, the last resync with the
 * tables, and how long after an activation this node applied it (convergence lag). Ids never
 * appear as labels (they change at every rotation); nothing here is key material. No query runs
 * at scrape time: the active key's age and the lag are read once per activation, a moment after it.
 */
export function registerKeyringMetrics(registry: Registry, service: KeyringService, logger: Logger): () => void {
  const registers = [registry];
  const { keyring } = service;
  let activatedAt: number | undefined;
  new Gauge({ name: 'keygate_keyring_keys', help: 'Data keys this node holds.', registers, collect() { this.set(keyring.ids().length); } });
  new Gauge({ name: 'keygate_keyring_active_key', help: 'Whether this node has an active key (1) or not (0).', registers, collect() { this.set(keyring.activeId ? 1 : 0); } });
  new Gauge({
    name: 'keygate_keyring_active_key_age_seconds',
    help: 'Seconds since the active key was activated (cluster-wide activation time).',
    registers,
    collect() {
      if (activatedAt !== undefined && keyring.activeId) this.set((Date.now() - activatedAt) / 1000);
      else this.reset();
    },
  });
  new Gauge({
    name: 'keygate_keyring_last_sync_timestamp_seconds',
    help: 'When this member last resynced its keyring from the tables (0: never).',
    registers,
    collect() {
      this.set((service.lastSync?.getTime() ?? 0) / 1000);
    },
  });
  const lag = new Gauge({ name: 'keygate_keyring_convergence_lag_seconds', help: 'From the last activation committing to this node applying it.', registers });

  /**
   * Age of the active key's activation, by the database's clock on both ends (no skew). After an
   * activation the read waits a moment (jittered): at that instant every member is applying it,
   * and a query from each would slow the ones still applying. The lag is the age the database
   * reports, less the time since this node applied it (to the middle of the read's round trip).
   */
  const readActivation = async (id: string, appliedAt?: number) => {
    const started = performance.now();
    const seconds = await service.store.activeForSeconds(id);
    if (seconds === undefined || keyring.activeId !== id) return;
    activatedAt = Date.now() - seconds * 1000;
    if (appliedAt !== undefined) lag.set(Math.max(0, seconds - ((started + performance.now()) / 2 - appliedAt) / 1000));
  };
  const fail = (err: unknown) => logger.debug({ err }, 'keyring metrics: reading the activation time failed');
  if (keyring.activeId) void readActivation(keyring.activeId).catch(fail);
  const pending = new Set<NodeJS.Timeout>();
  const unsubscribe = keyring.onChange((change) => {
    if (change.type !== 'activated') return;
    const appliedAt = performance.now();
    const timer = setTimeout(() => {
      pending.delete(timer);
      void readActivation(change.id, appliedAt).catch(fail);
    }, READ_AFTER_ACTIVATION_MS * (0.5 + Math.random()));
    timer.unref();
    pending.add(timer);
  });
  return () => {
    unsubscribe();
    for (const timer of pending) clearTimeout(timer);
    pending.clear();
  };
}
