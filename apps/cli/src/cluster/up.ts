import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BOOTSTRAP_USER } from '@keygate/admin-auth';
import { ConfigError, loadConfig, processEnv, type Config } from '@keygate/config';
import { migrationsBootstrapOrUp, type MigrationsOptions, type MigrationsOutcome } from '../commands/migrations';
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

/** Bootstraps or migrates the cluster's database as `keygate migrations bootstrap|up` do, `KONG_PASSWORD`'s super admin included. */
async function migrate(options: MigrationsOptions, out: Output): Promise<MigrationsOutcome> {
  const prefixed: Output = { log: (line) => out.log(`keygate: migrations: ${line}`), err: (line) => out.err(`keygate: migrations: ${line}`) };
  const outcome = await migrationsBootstrapOrUp(options, prefixed);
  if (outcome.code !== 0) throw new ClusterError('migrations failed (above)');
  return outcome;
}

function superAdminLine(config: Config, outcome: MigrationsOutcome): string | undefined {
  const rbac = `enforce_rbac = ${config.enforce_rbac}`;
  if (outcome.superAdmin === 'created') return `${rbac}; super admin '${BOOTSTRAP_USER}' created, its Kong-Admin-Token is KONG_PASSWORD`;
  if (outcome.superAdmin === 'exists') return `${rbac}; super admin '${BOOTSTRAP_USER}' exists (KONG_PASSWORD sets its token only when it is created)`;
  return config.enforce_rbac === 'off' ? undefined : `${rbac}; no super admin was created: set KONG_PASSWORD (its Kong-Admin-Token) and start again`;
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
    // The cluster secret made for the nodes counts where the configuration sets none (enforce_rbac, audit_log need one).
    const generatedSecret = localClusterSecret(options.stateDir);
    const defaults = { keyring_cluster_secret: generatedSecret };
    const loaded = await loadConfig({ ...(options.conf ? { file: options.conf } : {}), env, defaults, resolve: vaultReferences() });
    const { config } = loaded;
    postgres = await abortable(ensurePostgres(config, options.stateDir, say));
    redis = await abortable(ensureRedis(config.redis_url, say));
    const overrides = Object.fromEntries(Object.entries(postgres.env).map(([k, v]) => [k.replace(/^KONG_/, '').toLowerCase(), v]));
    const migrated = await abortable(migrate({ ...(options.conf ? { conf: options.conf } : {}), env, overrides, defaults }, out));

    let plan = withVaultResolverAddress(planCluster(config, options.proxies));
    const checkPorts = async (nodes: typeof plan) => {
      for (const node of nodes) {
        for (const { host, port } of node.ports) {
          if (!(await isPortFree(host, port))) throw new ClusterError(`${node.name}: port ${host}:${port} is already in use (another Keygate or Kong running?)`);
        }
      }
    };
    await checkPorts(plan);
    const secret = config.keyring_cluster_secret?.reveal() === generatedSecret ? { KONG_KEYRING_CLUSTER_SECRET: generatedSecret } : {};
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
    const token: Record<string, string> = config.password ? { 'Kong-Admin-Token': config.password.reveal() } : {};
    await keyring.recoverIfNeeded(plan.find((n) => n.app === 'admin')?.serves, say, token);
    await launch(plan.filter((n) => !first.includes(n)));

    out.log('');
    out.log('Keygate local cluster is up:');
    for (const node of plan) out.log(`  ${node.name.padEnd(15)} ${(node.serves ?? '-').padEnd(26)} status ${node.statusUrl}`);
    out.log(`  ${'postgres'.padEnd(15)} ${postgres.description}`);
    out.log(`  ${'redis'.padEnd(15)} ${redis.description}`);
    for (const line of emulators.summary) out.log(`  ${line}`);
    const rbac = superAdminLine(config, migrated);
    if (rbac) out.log(`  ${'rbac'.padEnd(15)} ${rbac}`);
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
