import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, processEnv, type Env } from '@keygate/config';
import { Database, connectionSettings, waitForDatabase } from '@keygate/db';
import { createLogger } from '@keygate/logging';
import { createMigrator } from '@keygate/runtime';
import type { Output } from '../output';
import { ClusterChild } from './children';
import { ClusterError } from './errors';
import { isPortFree } from './net';
import { planCluster, type NodeApp } from './plan';
import { ensurePostgres, type PostgresHandle } from './postgres';
import { ensureRedis, type RedisHandle } from './redis';
import { localClusterSecret, localKeyring } from './keyring';
import { startEmulators, withVaultResolverAddress, type Emulators } from './emulators';
import { ClusterControl } from './control';
import { vaultReferences } from '@keygate/vaults';

export interface ClusterOptions {
  readonly conf?: string;
  readonly proxies: number;
  /** Embedded PostgreSQL data and generated passwords live here. */
  readonly stateDir: string;
  readonly colour: boolean;
  readonly readyTimeoutMs?: number;
}

function appMain(app: NodeApp): string {
  try {
    return require.resolve(`@keygate/app-${app}`);
  } catch {
    throw new ClusterError(`apps/${app} is not built; run npm run build first`);
  }
}

async function migrate(pgOverrides: Record<string, string>, conf: string | undefined, out: Output, env: Env): Promise<void> {
  const overrides = Object.fromEntries(Object.entries(pgOverrides).map(([k, v]) => [k.replace(/^KONG_/, '').toLowerCase(), v]));
  const { config } = await loadConfig({ ...(conf ? { file: conf } : {}), overrides, env, resolve: vaultReferences() });
  const logger = createLogger({ level: 'warn', stderr: true });
  const db = new Database({ settings: connectionSettings(config, 'rw')!, logger, app: 'migrations', statementTimeoutMs: 0 });
  try {
    await waitForDatabase(db, logger, { attempts: 5 });
    const migrator = createMigrator({ logger }, db);
    const state = await migrator.state();
    const executed = state.needsBootstrap ? (await migrator.bootstrap()).executed : (await migrator.up()).executed;
    out.log(executed.length > 0 ? `migrations: executed ${executed.join(', ')}` : 'migrations: database is up-to-date');
  } finally {
    await db.close();
  }
}

/**
 * `keygate cluster up`: PostgreSQL (found or embedded), Redis (found or started), migrations,
 * then admin, keyring-broker, vault-resolver and N proxies as child processes sharing one
 * generated cluster secret. Runs until SIGINT/SIGTERM, then stops everything it started.
 */
export async function clusterUp(options: ClusterOptions, out: Output): Promise<number> {
  let postgres: PostgresHandle | undefined;
  let redis: RedisHandle | undefined;
  let emulators: Emulators | undefined;
  const children: ClusterChild[] = [];
  let control: ClusterControl | undefined;
  const say = (line: string) => out.log(`keygate: ${line}`);
  // Registered first, so Ctrl-C during start-up also stops what was started.
  const stopRequested = new Promise<string>((resolve) => {
    process.on('SIGINT', () => resolve('SIGINT'));
    process.on('SIGTERM', () => resolve('SIGTERM'));
  });
  const abortable = <T>(work: Promise<T>): Promise<T> =>
    Promise.race([work, stopRequested.then((signal) => Promise.reject(new ClusterError(`${signal} during start-up; stopped`)))]);
  const shutdown = async () => {
    await control?.stop();
    await Promise.all(children.map((c) => c.stop()));
    await redis?.stop();
    await postgres?.stop();
    await emulators?.stop();
  };
  try {
    // The emulators come first: settings may be {vault://...} references read through them.
    mkdirSync(options.stateDir, { recursive: true });
    emulators = await abortable(startEmulators(processEnv(), options.stateDir, say));
    const env = { ...processEnv(), ...emulators.env };
    const loaded = await loadConfig({ ...(options.conf ? { file: options.conf } : {}), env, resolve: vaultReferences() });
    const { config } = loaded;
    postgres = await abortable(ensurePostgres(config, options.stateDir, say));
    redis = await abortable(ensureRedis(config.redis_url, say));
    await abortable(migrate(postgres.env, options.conf, out, env));

    let plan = withVaultResolverAddress(planCluster(config, options.proxies));
    const checkPorts = async (nodes: typeof plan) => {
      for (const node of nodes) {
        for (const { host, port } of node.ports) {
          if (!(await isPortFree(host, port))) throw new ClusterError(`${node.name}: port ${host}:${port} is already in use (another Keygate or Kong running?)`);
        }
      }
    };
    await checkPorts(plan);
    mkdirSync(options.stateDir, { recursive: true });
    const secret = config.keyring_cluster_secret ? {} : { KONG_KEYRING_CLUSTER_SECRET: localClusterSecret(options.stateDir) };
    const keyring = localKeyring(loaded, options.stateDir);
    const baseEnv = { ...env, ...postgres.env, ...secret, ...keyring.env };
    const args = options.conf ? ['-c', options.conf] : [];
    let alive = 0;
    let allDied: () => void = () => undefined;
    const allGone = new Promise<void>((resolve) => {
      allDied = resolve;
    });
    const launch = async (nodes: typeof plan): Promise<void> => {
      alive += nodes.length;
      const started = nodes.map((node) => {
        const child = new ClusterChild(
          { name: node.name, main: appMain(node.app), args, env: { ...baseEnv, ...node.env }, statusUrl: node.statusUrl },
          (line) => out.log(line),
          (c, code) => {
            say(`${c.spec.name} exited unexpectedly (code ${code}); the other nodes keep running`);
            if (--alive === 0) allDied();
          },
        );
        child.start(options.colour);
        children.push(child);
        return child;
      });
      await abortable(Promise.all(started.map((c) => c.waitReady(options.readyTimeoutMs ?? 60_000))));
    };
    // The keyring holders first, and keys a previous run stored recovered, so the proxies' first
    // load decrypts every credential instead of skipping them until the keys arrive.
    const first = plan.filter((n) => n.app === 'admin' || n.app === 'keyring-broker');
    await launch(first);
    await keyring.recoverIfNeeded(plan.find((n) => n.app === 'admin')?.serves, say);
    await launch(plan.filter((n) => !first.includes(n)));

    out.log('');
    out.log('Keygate local cluster is up:');
    for (const node of plan) out.log(`  ${node.name.padEnd(15)} ${(node.serves ?? '-').padEnd(26)} status ${node.statusUrl}`);
    out.log(`  ${'postgres'.padEnd(15)} ${postgres.description}`);
    out.log(`  ${'redis'.padEnd(15)} ${redis.description}`);
    for (const line of emulators.summary) out.log(`  ${line}`);
    // `keygate cluster status` / `keygate cluster scale proxy=N` from another terminal.
    const proxyCount = () => plan.filter((n) => n.app === 'proxy').length;
    control = new ClusterControl(options.stateDir, {
      nodes: () => plan.map(({ name, app, serves, statusUrl }) => ({ name, app, ...(serves ? { serves } : {}), statusUrl })),
      scaleProxies: async (n) => {
        const target = withVaultResolverAddress(planCluster(config, n));
        if (n > proxyCount()) {
          const added = target.filter((node) => !plan.some((p) => p.name === node.name));
          await checkPorts(added);
          say(`scaling to ${n} proxies: starting ${added.map((a) => a.name).join(', ')}`);
          plan = [...plan, ...added];
          await launch(added);
        } else if (n < proxyCount()) {
          const removed = plan.filter((node) => node.app === 'proxy' && !target.some((t) => t.name === node.name));
          say(`scaling to ${n} proxies: stopping ${removed.map((r) => r.name).join(', ')}`);
          plan = plan.filter((node) => !removed.includes(node));
          const stopping = children.filter((c) => removed.some((r) => r.name === c.spec.name));
          await Promise.all(stopping.map((c) => c.stop()));
          for (const c of stopping) children.splice(children.indexOf(c), 1);
          alive -= stopping.length;
        }
      },
    });
    await control.start();
    out.log('Press Ctrl-C to stop. Other terminal: keygate cluster status | keygate cluster scale proxy=N');

    const signal = await Promise.race([stopRequested, allGone.then(() => 'all nodes exited')]);
    say(`${signal}: stopping the cluster`);
    await shutdown();
    say('stopped');
    return signal === 'all nodes exited' ? 1 : 0;
  } catch (err) {
    await shutdown().catch(() => undefined);
    if (err instanceof ClusterError || err instanceof ConfigError) {
      out.err(`Error: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

export function defaultStateDir(cwd: string): string {
  return join(cwd, '.keygate');
}
