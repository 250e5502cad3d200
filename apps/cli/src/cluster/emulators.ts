import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Env } from '@keygate/config';
import { ClusterError } from './errors';
import { canConnect } from './net';
import type { PlannedNode } from './plan';

/** Kong's walkthroughs use these; LocalStack uses 4566 for AWS too. */
export const AWS_EMULATOR_PORT = 4566;
export const VAULT_DEV_PORT = 8200;

export interface Emulators {
  /** Settings for every node (vault endpoints, emulator credentials); empty for what was not started. */
  readonly env: Record<string, string>;
  /** Summary lines for the "cluster is up" table. */
  readonly summary: readonly string[];
  stop(): Promise<void>;
}

interface Child {
  readonly process: ChildProcess;
  readonly ready: Record<string, unknown>;
}

/**
 * `npm start` runs the AWS emulator (127.0.0.1:4566) and vault-dev (127.0.0.1:8200) next to the
 * nodes, so `{vault://aws/...}` and `{vault://hcv/...}` work locally as in the seed walkthroughs.
 * One already listening there is used as it is (start it yourself to create secrets before the
 * cluster reads them); none is started when your environment points the backend elsewhere or
 * holds AWS credentials (they are never handed to an emulator).
 */
export async function startEmulators(
  env: Env,
  stateDir: string,
  say: (line: string) => void,
  ports: { readonly aws: number; readonly vault: number } = { aws: AWS_EMULATOR_PORT, vault: VAULT_DEV_PORT },
): Promise<Emulators> {
  const children: ChildProcess[] = [];
  const out: Record<string, string> = {};
  const summary: string[] = [];
  const unset = (name: string) => (env[name] ?? '') === '';
  const stop = async () => {
    await Promise.all(children.map((c) => stopChild(c)));
  };
  try {
    const awsUrl = `http://127.0.0.1:${ports.aws}`;
    if (await canConnect('127.0.0.1', ports.aws)) {
      if (unset('KONG_VAULT_AWS_ENDPOINT_URL')) out.KONG_VAULT_AWS_ENDPOINT_URL = awsUrl;
      summary.push(`aws-emulator    ${awsUrl} (already running; nodes use the AWS_* credentials of this shell)`);
    } else if (!unset('KONG_VAULT_AWS_ENDPOINT_URL') || !unset('AWS_ACCESS_KEY_ID') || !unset('AWS_PROFILE')) {
      summary.push('aws-emulator    not started (your environment sets AWS credentials or KONG_VAULT_AWS_ENDPOINT_URL)');
    } else {
      const keys = localSecret(join(stateDir, 'aws-emulator.json'), () => ({ accessKeyId: `AKIALOCAL${randomBytes(6).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64url') }));
      const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
      say(`starting the AWS emulator on ${awsUrl}`);
      // `--flag=value`: a base64url key may begin with '-', which a separate argument would make look like a flag.
      const child = await startTool('tool-aws-emulator', ['--port', String(ports.aws), '--imds-port', '0', `--region=${region}`, `--access-key-id=${keys.accessKeyId}`, `--secret-access-key=${keys.secretAccessKey}`], {});
      children.push(child.process);
      Object.assign(out, { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey, AWS_REGION: region, KONG_VAULT_AWS_ENDPOINT_URL: awsUrl });
      summary.push(`aws-emulator    ${awsUrl} (aws CLI: AWS_ACCESS_KEY_ID=${keys.accessKeyId} AWS_SECRET_ACCESS_KEY=${keys.secretAccessKey} AWS_REGION=${region} AWS_DEFAULT_REGION=${region} aws --endpoint-url ${awsUrl} ...)`);
    }

    const vaultUrl = `http://127.0.0.1:${ports.vault}`;
    if (await canConnect('127.0.0.1', ports.vault)) {
      if (unset('KONG_VAULT_HCV_HOST') && unset('KONG_VAULT_HCV_PORT')) Object.assign(out, { KONG_VAULT_HCV_HOST: '127.0.0.1', KONG_VAULT_HCV_PORT: String(ports.vault) });
      summary.push(`vault-dev       ${vaultUrl} (already running; set KONG_VAULT_HCV_TOKEN)`);
    } else if (!unset('KONG_VAULT_HCV_HOST')) {
      summary.push('vault-dev       not started (KONG_VAULT_HCV_HOST is set)');
    } else {
      const { token } = localSecret(join(stateDir, 'vault-dev.json'), () => ({ token: `hvs.local-${randomBytes(12).toString('base64url')}` }));
      say(`starting vault-dev on ${vaultUrl}`);
      // The root token goes through the environment (vault-dev reads VAULT_DEV_ROOT_TOKEN_ID), not the command line.
      const child = await startTool('tool-vault-dev', ['--port', String(ports.vault)], { VAULT_DEV_ROOT_TOKEN_ID: token });
      children.push(child.process);
      Object.assign(out, { KONG_VAULT_HCV_HOST: '127.0.0.1', KONG_VAULT_HCV_PORT: String(ports.vault), KONG_VAULT_HCV_KV: 'v2' });
      if (unset('KONG_VAULT_HCV_TOKEN')) out.KONG_VAULT_HCV_TOKEN = token;
      summary.push(`vault-dev       ${vaultUrl} (VAULT_ADDR=${vaultUrl} VAULT_TOKEN=${token}; KV v2 at secret/)`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { env: out, summary, stop };
}

/**
 * Gives the vault-resolver its API port (its status port + 1) and tells every node where it is,
 * so two local clusters never fight over the default 8028.
 */
export function withVaultResolverAddress(plan: readonly PlannedNode[]): PlannedNode[] {
  const resolver = plan.find((n) => n.app === 'vault-resolver');
  const status = resolver && /^(.*):(\d+)$/.exec(resolver.env.KONG_STATUS_LISTEN ?? '');
  if (!resolver || !status) return [...plan];
  const host = status[1]!;
  const port = Number(status[2]) + 1;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  return plan.map((node) =>
    node === resolver
      ? { ...node, env: { ...node.env, KONG_VAULT_RESOLVER_LISTEN: `${host}:${port}`, KONG_VAULT_RESOLVER_URL: url }, ports: [...node.ports, { host, port }] }
      : { ...node, env: { ...node.env, KONG_VAULT_RESOLVER_URL: url } },
  );
}

function localSecret<T extends object>(path: string, make: () => T): T {
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as T;
  const value = make();
  writeFileSync(path, `${JSON.stringify(value)}\n`, { mode: 0o600 });
  return value;
}

/** Runs a tool's built CLI as a child that exits when the launcher goes away (IPC disconnect). */
async function startTool(tool: string, args: readonly string[], extraEnv: Record<string, string>): Promise<Child> {
  let cli: string;
  try {
    cli = require.resolve(`@keygate/${tool}/dist/cli.js`);
  } catch {
    throw new ClusterError(`tools/${tool.replace(/^tool-/, '')} is not built; run npm run build first`);
  }
  const wrapper = "process.on('disconnect',()=>process.exit(0));require(process.argv[1]).main(process.argv.slice(2)).catch((e)=>{console.error(e&&e.message||e);process.exit(1)})";
  const child = spawn(process.execPath, ['-e', wrapper, cli, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { PATH: '/usr/bin:/bin', ...extraEnv }, detached: true });
  const errors: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => errors.push(line));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ClusterError(`${tool} did not start within 20 s${errors.length > 0 ? `: ${errors.join(' ').slice(0, 500)}` : ''}`)), 20_000);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as Record<string, unknown>);
      } catch {
        reject(new ClusterError(`${tool}: unexpected output ${line}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new ClusterError(`${tool} exited (code ${code}): ${errors.join(' ').slice(0, 500)}`));
    });
  }).catch(async (err: unknown) => {
    await stopChild(child);
    throw err;
  });
  child.removeAllListeners('exit');
  return { process: child, ready };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  child.kill('SIGTERM');
  await exited;
  clearTimeout(timer);
}
