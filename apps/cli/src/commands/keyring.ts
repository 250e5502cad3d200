import { readFileSync } from 'node:fs';
import { UsageError } from '@keygate/runtime';
import type { Output } from '../output';
import type { RunView } from '@keygate/keyring';
import { adminUrl, call, type AdminCommandOptions } from './admin-client';

export type KeyringCommandOptions = AdminCommandOptions;

/** `keygate keyring status`: which keys this admin node holds, which is active, which it lacks. */
export async function keyringStatus(options: KeyringCommandOptions, out: Output): Promise<number> {
  const base = await adminUrl(options);
  const { status, body } = await call(`${base}/keyring`);
  if (status !== 200) {
    out.err(`Error: ${String(body.message ?? `HTTP ${status}`)}`);
    return 1;
  }
  const ids = (body.ids as string[]) ?? [];
  out.log(`keyring at ${base}: ${ids.length} key(s)${body.active ? `, active ${String(body.active)}` : ', none active'}`);
  for (const id of ids) out.log(`  ${id === body.active ? '*' : ' '} ${id}`);
  const missing = (body.missing as string[] | undefined) ?? [];
  if (missing.length > 0) out.log(`missing on this node (recover or import them): ${missing.join(', ')}`);
  return 0;
}

/** `keygate keyring recover --key FILE`: posts the recovery private key to `/keyring/recover`. */
export async function keyringRecover(options: KeyringCommandOptions & { key: string; acceptUnauthenticated?: boolean }, out: Output): Promise<number> {
  let pem: string;
  try {
    pem = readFileSync(options.key, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${options.key}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const base = await adminUrl(options);
  const form = new FormData();
  form.append('recovery_private_key', new Blob([pem]), 'key.pem');
  if (options.acceptUnauthenticated) form.append('accept_unauthenticated', 'true');
  const { status, body } = await call(`${base}/keyring/recover`, { method: 'POST', body: form });
  if (status !== 200) {
    out.err(`Error: ${String(body.message ?? `HTTP ${status}`)}`);
    return 1;
  }
  out.log(String(body.message));
  out.log(`recovered: ${((body.recovered as string[]) ?? []).join(', ') || '-'}`);
  if (((body.not_recovered as string[]) ?? []).length > 0) out.log(`not recovered: ${(body.not_recovered as string[]).join(', ')} (see the admin log)`);
  out.log(`active: ${String(body.active ?? 'none')}`);
  return ((body.not_recovered as string[]) ?? []).length > 0 ? 2 : 0;
}

const FINISHED = new Set(['done', 'superseded', 'failed']);

function bar(run: RunView, width = 30): string {
  const filled = Math.round((run.percent / 100) * width);
  const rate = run.rows_per_second ? `, ${run.rows_per_second} rows/s` : '';
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(run.percent).padStart(3)}% ${run.scanned}/${run.total} rows${rate} (${run.state}${run.enqueued ? '' : ', waiting for a keyring-broker'})`;
}

/**
 * `keygate keyring reencrypt [--start] [--watch]`: the latest re-encryption run (started by
 * each activation, or now with `--start`), followed with a progress bar until it ends.
 */
export async function keyringReencrypt(options: KeyringCommandOptions & { start?: boolean; watch?: boolean; interval?: number }, out: Output): Promise<number> {
  const base = await adminUrl(options);
  let { status, body } = await call(`${base}/keyring/reencrypt`, options.start ? { method: 'POST' } : {});
  if (status !== 200 && status !== 202) {
    out.err(`Error: ${String(body.message ?? `HTTP ${status}`)}`);
    return 1;
  }
  let run = body as unknown as RunView;
  out.log(`run ${run.id}: re-encrypting to key ${run.target_key_id}`);
  const tty = Boolean(process.stdout.isTTY);
  while (options.watch && !FINISHED.has(run.state)) {
    if (tty) process.stdout.write(`\r${bar(run)}`);
    else out.log(bar(run));
    await new Promise((resolve) => setTimeout(resolve, options.interval ?? 500));
    ({ status, body } = await call(`${base}/keyring/reencrypt?run=${encodeURIComponent(run.id)}`));
    if (status !== 200) {
      out.err(`\nError: ${String(body.message ?? `HTTP ${status}`)}`);
      return 1;
    }
    run = body as unknown as RunView;
  }
  if (tty && options.watch) process.stdout.write('\r');
  out.log(bar(run));
  for (const [table, s] of Object.entries(run.tables)) {
    out.log(`  ${table}: scanned ${s.scanned}, rewritten ${s.rewritten}, already current ${s.skipped}, failed ${s.failed}, remaining ${s.remaining}`);
  }
  if (run.errors_total > 0) out.log(`${run.errors_total} value(s) could not be re-encrypted (GET /keyring/reencrypt lists them)`);
  return run.state === 'failed' || run.errors_total > 0 ? 2 : 0;
}
