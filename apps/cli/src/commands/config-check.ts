import { ConfigError, displaySettings, loadConfig } from '@keygate/config';
import { readNodeConfigSecret } from '@keygate/runtime';
import type { Output } from '../output';

/**
 * `keygate config check [-c FILE]`: the effective configuration, secrets redacted, or every error.
 * With `AWS_KMS_SECRET_NAME` it reads that secret as `keygate start` would (a check on the instance).
 */
export async function configCheck(options: { conf?: string }, out: Output): Promise<number> {
  try {
    const loaded = await loadConfig({ ...(options.conf ? { file: options.conf } : {}), allowUnresolved: true, awsSecret: { read: readNodeConfigSecret } });
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
  } catch (err) {
    if (err instanceof ConfigError) {
      out.err(err.message);
      return 1;
    }
    throw err;
  }
}
