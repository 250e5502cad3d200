#!/usr/bin/env node
import { Command, Option } from 'commander';
import { ConfigError } from '@keygate/config';
import { DatabaseError, DatabaseSettingsError } from '@keygate/db';
import { awsSecretOption, confOption, UsageError, VERSION } from '@keygate/runtime';
import { auditVerify } from './commands/audit';
import { configCheck } from './commands/config-check';
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
    consoleOutput.err(`Error: database: ${err.message}`);
    return 1;
  }
  consoleOutput.err(`Error: ${(err as Error).stack ?? String(err)}`);
  return 1;
}

export function buildProgram(): Command {
  const program = new Command('keygate').description('Keygate API gateway').version(VERSION, '-v, --version');
  program.showHelpAfterError();

  program
    .command('start')
    .description(`start one node: ${NODE_APPS.join(' | ')}`)
    .argument('<app>', NODE_APPS.join(' | '))
    .addOption(confOption())
    .addOption(awsSecretOption())
    .action(async (app: string, opts: { conf?: string; awsKmsSecretName?: string }) => startNode(app, opts.conf, opts.awsKmsSecretName));

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
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
  } catch (err) {
    exitWith(report(err));
  }
}

if (require.main === module) void main(process.argv.slice(2));
