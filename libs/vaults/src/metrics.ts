import { Counter, Gauge, type Registry } from 'prom-client';
import type { SecretCache } from './cache';

/**
 * The vault-resolver's cache in Prometheus: hits, misses, stale values served (backend failing,
 * within `resurrect_ttl`), backend calls and failed backend reads by backend. Never a reference
 * value; references are not labels either (unbounded, and they name secrets).
 */
export function registerVaultMetrics(registry: Registry, cache: SecretCache): void {
  const registers = [registry];
  const mirror = (name: string, help: string, read: () => number) =>
    new Counter({ name, help, registers, collect() { this.reset(); this.inc(read()); } });
  mirror('keygate_vault_cache_hits_total', 'Reference lookups served from the cache within their TTL.', () => cache.stats().hits);
  mirror('keygate_vault_cache_misses_total', 'Reference lookups that needed a backend read (expired or never read).', () => cache.stats().misses);
  mirror('keygate_vault_cache_stale_served_total', 'Values served after their TTL because the backend failed (resurrect_ttl).', () => cache.stats().stale_served);
  mirror('keygate_vault_backend_calls_total', 'Reads sent to vault backends.', () => cache.stats().backend_calls);
  new Counter({
    name: 'keygate_vault_backend_errors_total',
    help: 'Failed vault backend reads, by backend (env, aws, hcv).',
    labelNames: ['backend'],
    registers,
    collect() {
      this.reset();
      for (const [backend, count] of cache.backendErrors()) this.inc({ backend }, count);
    },
  });
  new Gauge({ name: 'keygate_vault_cache_entries', help: 'Secrets held in the cache.', registers, collect() { this.set(cache.stats().entries); } });
}
