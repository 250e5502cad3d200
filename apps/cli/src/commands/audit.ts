import { AdminSecrets, verifyAudit } from '@keygate/admin-auth';
import type { Output } from '../output';
import { withMigrator, type MigrationsOptions } from './migrations';

/**
 * `keygate audit verify`: checks both audit chains (`audit_requests`, `audit_objects`) under the
 * key derived from `keyring_cluster_secret`. Exit 0 when intact, 1 when a row was edited,
 * inserted or deleted, or the chain was truncated. Prints each chain's head, to keep elsewhere
 * (a copy kept outside the database also catches a writer restoring an older head).
 */
export async function auditVerify(options: Pick<MigrationsOptions, 'conf'>, out: Output): Promise<number> {
  return withMigrator(options, async (_migrator, db, _logger, config) => {
    if (!config.keyring_cluster_secret) {
      out.err('Error: keyring_cluster_secret is not set; the audit chain is keyed with it');
      return 1;
    }
    const reports = await verifyAudit(db, new AdminSecrets(config.keyring_cluster_secret));
    let failed = false;
    for (const r of reports) {
      const range = r.last_seq === null ? 'empty' : `rows ${r.first_seq}..${r.last_seq}, head ${r.last_hash}`;
      out.log(`${r.chain}: ${r.rows} record(s), ${range}: ${r.problems.length === 0 ? 'OK' : 'FAILED'}`);
      for (const problem of r.problems) out.log(`  - ${problem}`);
      failed ||= r.problems.length > 0;
    }
    if (failed) out.err('Audit log verification FAILED: records were changed, added or removed outside Keygate');
    return failed ? 1 : 0;
  });
}
