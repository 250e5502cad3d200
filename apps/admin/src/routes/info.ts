import { createHash } from 'node:crypto';
import type { Router } from 'express';
import { redactedConfig, type LoadedConfig } from '@keygate/config';
import type { Database } from '@keygate/db';
import type { EntityStore } from '@keygate/entities';
import type { NodeInfo } from '@keygate/runtime';
import type { ServerStats } from '../server-stats';
import { route } from './route';

export interface InfoDeps {
  readonly loaded: LoadedConfig;
  readonly node: NodeInfo;
  readonly db: Database;
  readonly store: EntityStore;
  readonly stats: ServerStats;
}

async function pluginsInUse(db: Database): Promise<string[]> {
  const rows = await db.query<{ name: string }>('SELECT DISTINCT name FROM plugins ORDER BY name');
  return rows.rows.map((r) => r.name);
}

/** `GET /`, `GET /status`, `GET /plugins/enabled`. */
export function infoRoutes(router: Router, deps: InfoDeps): void {
  const configuration = redactedConfig(deps.loaded);
  const configurationHash = createHash('md5').update(JSON.stringify(configuration)).digest('hex');

  route(router, '/', {
    get: async (_req, res) => {
      const available = Object.fromEntries(
        deps.store.plugins.all().map((p) => [p.name, { version: p.version, priority: p.priority }]),
      );
      res.json({
        tagline: 'Welcome to Keygate',
        version: deps.node.version,
        edition: 'keygate',
        hostname: deps.node.hostname,
        node_id: deps.node.nodeId,
        pids: { master: deps.node.pid },
        plugins: {
          available_on_server: available,
          enabled_in_cluster: await pluginsInUse(deps.db),
          disabled_on_server: [],
        },
        configuration,
      });
    },
  });

  route(router, '/status', {
    get: async (_req, res) => {
      const reachable = await deps.db.ping().then(() => true, () => false);
      const memory = process.memoryUsage();
      res.json({
        database: { reachable },
        server: deps.stats.toJSON(),
        memory: { rss_bytes: memory.rss, heap_used_bytes: memory.heapUsed, heap_total_bytes: memory.heapTotal },
        configuration_hash: configurationHash,
      });
    },
  });

  route(router, '/plugins/enabled', {
    get: (_req, res) => {
      res.json({ enabled_plugins: deps.store.plugins.names() });
    },
  });
}
