#!/usr/bin/env node
import { Command, Option } from 'commander';
import { ConfigError, quietAwsSdkVersionNotice } from '@keygate/config';
import { DatabaseError, DatabaseSettingsError } from '@keygate/db';
import { awsSecretOption, confOption, UsageError, VERSION } from '@keygate/runtime';
import { prefixOption } from './node/layout';
import { auditVerify } from './commands/audit';
import { checkConf, configCheck } from './commands/config-check';
import { healthNode, printVersion, quitNode, reloadNode, restartNode, startAllInOne, stopNode, type NodeStartOptions } from './node/commands';
import { migrationsBootstrap, migrationsFinish, migrationsList, migrationsReset, migrationsUp } from './commands/migrations';
import { NODE_APPS, startNode } from './commands/start';
import { ottInit } from './commands/ott-init';
import { keyringRecover, keyringReencrypt, keyringStatus } from './commands/keyring';
import { clusterUp, defaultStateDir } from './cluster/up';
import { clusterScale, clusterStatus } from './cluster/status';
import { consoleOutput } from './output';

function exitWith(code: number): void {
  process.exitCode = code;
}

/** Errors the operator can act on print their message; anything else is a bug with a stack. */
function report(err: unknown): number {
  if (err instanceof ConfigError || err instanceof UsageError || err instanceof DatabaseSettingsError) {
    consoleOutput.err(`Error: ${err.message}`);
    return 1;
  }
  if (err instanceof DatabaseError) {
    consoleOutput.err(`Error: database${err.target ? ` ${err.target}` : ''}: ${err.message}`);
    return 1;
  }
  consoleOutput.err(`Error: ${(err as Error).stack ?? String(err)}`);
  return 1;
}

export function buildProgram(argv: readonly string[] = []): Command {
  const program = new Command('keygate').description('Keygate API gateway').version(VERSION, '-v, --version');
  program.showHelpAfterError();

  // `start` and `restart` share their options: an option added here reaches the node too (the
  // daemon re-runs the same command line with --foreground).
  const startOptions = (cmd: Command) =>
    cmd
      .addOption(confOption())
      .addOption(awsSecretOption())
      .addOption(prefixOption())
      .option('--foreground', 'stay in the foreground (containers, systemd); also with nginx_daemon = off (KONG_NGINX_DAEMON=off)');
  startOptions(
    program
      .command('start')
      .description(`start the all-in-one node (admin, proxy, keyring-broker, vault-resolver) and return once it is ready; or one role: ${NODE_APPS.join(' | ')}`)
      .argument('[app]', `one role only, in this process: ${NODE_APPS.join(' | ')}`),
  ).action(async (app: string | undefined, opts: NodeStartOptions) => {
    if (app !== undefined) return startNode(app, opts.conf, opts.awsKmsSecretName);
    exitWith(await startAllInOne(opts, argv, consoleOutput));
  });
  startOptions(program.command('restart').description('stop the all-in-one node if it runs, then start it')).action(async (opts: NodeStartOptions) =>
    exitWith(await restartNode(opts, argv.map((word) => (word === 'restart' ? 'start' : word)), consoleOutput)),
  );
  const nodeCommand = (name: string, description: string) => program.command(name).description(description).addOption(confOption()).addOption(prefixOption());
  nodeCommand('stop', 'stop the all-in-one node now (fast shutdown: roles get 5 s)').action(async (opts: { conf?: string; prefix?: string }) => exitWith(await stopNode(opts, consoleOutput)));
  nodeCommand('quit', 'stop the all-in-one node gracefully (roles drain); after --timeout, stop it')
    .option('-t, --timeout <seconds>', 'how long to wait before a fast stop', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new UsageError('--timeout expects a number of seconds');
      return n;
    }, 10)
    .action(async (opts: { conf?: string; prefix?: string; timeout: number }) => exitWith(await quitNode(opts, consoleOutput)));
  nodeCommand('reload', 're-read the configuration: replace the roles one at a time, without refusing a connection (the keyring held in memory survives)').action(async (opts: { conf?: string; prefix?: string }) =>
    exitWith(await reloadNode(opts, consoleOutput)),
  );
  nodeCommand('health', 'whether the all-in-one node and each of its roles is ready (exit 1 when not)').action(async (opts: { conf?: string; prefix?: string }) =>
    exitWith(await healthNode(opts, consoleOutput)),
  );
  program
    .command('check')
    .description('validate a configuration file as start does (no vault is read)')
    .argument('<conf>', 'configuration file')
    .action(async (conf: string) => exitWith(await checkConf(conf, consoleOutput)));
  program
    .command('version')
    .description('print the version')
    .action(() => exitWith(printVersion(consoleOutput)));

  const migrations = program.command('migrations').description("database schema (Kong's verbs)");
  const verbs = {
    bootstrap: ['create the schema on an empty database', migrationsBootstrap],
    up: ['run pending migrations', migrationsUp],
    finish: ['finish pending migrations (Keygate migrations are single-phase)', migrationsFinish],
    list: ['list executed and pending migrations (exit 3: needs bootstrap, 5: new migrations)', migrationsList],
    reset: ['drop every Keygate table (asks, or --yes)', migrationsReset],
  } as const;
  for (const [verb, [description, run]] of Object.entries(verbs)) {
    const cmd = migrations.command(verb).description(description).addOption(confOption());
    if (verb === 'reset') cmd.option('-y, --yes', 'do not ask for confirmation');
    cmd.action(async (opts: { conf?: string; yes?: boolean }) => exitWith(await run(opts, consoleOutput)));
  }

  const cluster = program.command('cluster').description('local cluster as processes');
  cluster
    .command('up')
    .description('start PostgreSQL/Redis if needed, migrate, and run admin, keyring-broker, vault-resolver and N proxies')
    .addOption(confOption())
    .option('--proxies <n>', 'number of proxy nodes', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 64) throw new UsageError('--proxies expects an integer from 0 to 64');
      return n;
    }, 2)
    .option('--state-dir <dir>', 'where the embedded PostgreSQL keeps its data', defaultStateDir(process.cwd()))
    .action(async (opts: { conf?: string; proxies: number; stateDir: string }) =>
      exitWith(await clusterUp({ ...opts, colour: Boolean(process.stdout.isTTY) }, consoleOutput)),
    );

  const stateDirOption = () => new Option('--state-dir <dir>', 'state directory of the running cluster').default(defaultStateDir(process.cwd()));
  cluster
    .command('status')
    .description('every node of the running `cluster up`: app, address, readiness, active key id, key count, proxy state version')
    .addOption(stateDirOption())
    .option('--json', 'print JSON')
    .action(async (opts: { stateDir: string; json?: boolean }) => exitWith(await clusterStatus(opts, consoleOutput)));
  cluster
    .command('scale')
    .description('start or stop proxies of the running `cluster up` (the new ones join the keyring like any member)')
    .argument('<target>', 'proxy=N')
    .addOption(stateDirOption())
    .action(async (target: string, opts: { stateDir: string }) => exitWith(await clusterScale({ ...opts, target }, consoleOutput)));

  const keyring = program.command('keyring').description('keyring helpers (call the Admin API)');
  const adminUrlOption = () => new Option('--admin-url <url>', 'Admin API base URL (default: from admin_listen)');
  keyring
    .command('status')
    .description('keys held by the admin node, the active one, and the ones it lacks')
    .addOption(confOption())
    .addOption(adminUrlOption())
    .action(async (opts: { conf?: string; adminUrl?: string }) => exitWith(await keyringStatus(opts, consoleOutput)));
  keyring
    .command('recover')
    .description('recover the keyring from the database with the recovery private key (POST /keyring/recover)')
    .requiredOption('--key <file>', 'the recovery private key (PEM)')
    .option('--accept-unauthenticated', 'also recover keyring_keys rows without a valid MAC (a Kong database, or nodes without keyring_cluster_secret)')
    .addOption(confOption())
    .addOption(adminUrlOption())
    .action(async (opts: { key: string; conf?: string; adminUrl?: string; acceptUnauthenticated?: boolean }) => exitWith(await keyringRecover(opts, consoleOutput)));

  keyring
    .command('reencrypt')
    .description('show the latest re-encryption run (after each activation); --start a new one; --watch it to the end')
    .option('--start', 'start a re-encryption to the active key now (POST /keyring/reencrypt)')
    .option('--watch', 'follow the run with a progress bar until it ends')
    .addOption(confOption())
    .addOption(adminUrlOption())
    .action(async (opts: { start?: boolean; watch?: boolean; conf?: string; adminUrl?: string }) => exitWith(await keyringReencrypt(opts, consoleOutput)));

  program
    .command('ott-init')
    .description('exchange a one-time enrollment token for this node\'s configuration, printed as one base64 string (store it in AWS Secrets Manager)')
    .argument('<token>', 'the token from POST /cluster/enrollment-tokens')
    .addOption(confOption())
    .addOption(adminUrlOption())
    .action(async (token: string, opts: { conf?: string; adminUrl?: string }) => exitWith(await ottInit(token, opts, consoleOutput)));

  program
    .command('audit')
    .description('audit log')
    .command('verify')
    .description('check the hash chains of /audit/requests and /audit/objects (exit 1 when a record was changed, added or removed)')
    .addOption(confOption())
    .action(async (opts: { conf?: string }) => exitWith(await auditVerify(opts, consoleOutput)));

  program
    .command('config')
    .description('configuration')
    .command('check')
    .description('print the effective configuration (secrets redacted) or every error')
    .addOption(confOption())
    .action(async (opts: { conf?: string }) => exitWith(await configCheck(opts, consoleOutput)));

  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  quietAwsSdkVersionNotice();
  try {
    await buildProgram(argv).parseAsync([...argv], { from: 'user' });
  } catch (err) {
    exitWith(report(err));
  }
}

if (require.main === module) void main(process.argv.slice(2));
