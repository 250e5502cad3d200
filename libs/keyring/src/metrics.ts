import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '@keygate/logging';
import type { KeyringService } from './service';

/**
 * A member's keyring in Prometheus: keys held, the active key's age, the last resync with the
 * tables, and how long after an activation this node applied it (convergence lag). Ids never
 * appear as labels (they change at every rotation); nothing here is key material. No query runs
 * at scrape time: the active key's age and the lag are read once per activation.
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

  /** Age of the active key's activation, by the database's clock on both ends (no skew). */
  const readActivation = async (id: string, isNew: boolean) => {
    const seconds = await service.store.activeForSeconds(id);
    if (seconds === undefined || keyring.activeId !== id) return;
    activatedAt = Date.now() - seconds * 1000;
    if (isNew) lag.set(seconds);
  };
  const fail = (err: unknown) => logger.debug({ err }, 'keyring metrics: reading the activation time failed');
  if (keyring.activeId) void readActivation(keyring.activeId, false).catch(fail);
  return keyring.onChange((change) => {
    if (change.type === 'activated') void readActivation(change.id, true).catch(fail);
  });
}
