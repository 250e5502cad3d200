import { ConfigError, displaySettings, loadConfig, type LoadedConfig } from '@keygate/config';
import { SETTING_CHECKS } from '@keygate/entities';
import { readNodeConfigSecret } from '@keygate/runtime';
import { vaultReferences } from '@keygate/vaults';
import type { Output } from '../output';

/**
 * The validation every node runs at start (libs/runtime `runApp`): the same keys, the same
 * cross-key rules and `SETTING_CHECKS`, every reference parsed, and the node's configuration
 * secret (`--aws-kms-secret-name`, else `AWS_KMS_SECRET_NAME`) read as a node reads it. With
 * `resolve: false` references are parsed but not read (`check`, `config check`: no vault is called).
 */
export function loadValidated(options: { conf?: string; awsKmsSecretName?: string; overrides?: Record<string, string>; resolve: boolean }): Promise<LoadedConfig> {
  return loadConfig({
    ...(options.conf ? { file: options.conf } : {}),
    ...(options.overrides ? { overrides: options.overrides } : {}),
    resolve: vaultReferences(),
    allowUnresolved: !options.resolve,
    awsSecret: { name: options.awsKmsSecretName, read: readNodeConfigSecret },
    checks: SETTING_CHECKS,
  });
}

/** Runs `work` and prints a ConfigError's message (exit 1); other errors propagate. */
async function orConfigError(out: Output, work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ConfigError) {
      out.err(err.message);
      return 1;
    }
    throw err;
  }
}

/**
 * `keygate config check [-c FILE]`: the effective configuration, secrets redacted, or every error.
 * With `AWS_KMS_SECRET_NAME` it reads that secret as `keygate start` would (a check on the instance).
 */
export async function configCheck(options: { conf?: string }, out: Output): Promise<number> {
  return orConfigError(out, async () => {
    const loaded = await loadValidated({ ...options, resolve: false });
    for (const warning of loaded.warnings) out.err(`warning: ${warning}`);
    out.log(`# configuration: ${loaded.file ?? '(no file; defaults and KONG_* environment)'}`);
    const rows = displaySettings(loaded);
    const width = Math.max(...rows.map((r) => r.key.length));
    for (const row of rows) {
      const value = row.value === null ? '' : Array.isArray(row.value) ? row.value.join(', ') : String(row.value);
      out.log(`${row.key.padEnd(width)} = ${value}${row.source === 'default' ? '' : `    # ${row.source}`}`);
    }
    if (loaded.unresolved.size > 0) {
      out.log(`\n# ${loaded.unresolved.size} value(s) are vault references, resolved when a node starts: ${[...loaded.unresolved].join(', ')}`);
    }
    out.log('\nconfiguration is valid');
    return 0;
  });
}

/** `keygate check <conf>`: Kong's command, the same validation, Kong's one-line answer. */
export async function checkConf(conf: string, out: Output): Promise<number> {
  return orConfigError(out, async () => {
    const loaded = await loadValidated({ conf, resolve: false });
    for (const warning of loaded.warnings) out.err(`warning: ${warning}`);
    out.log(`configuration at ${conf} is valid`);
    return 0;
  });
}
