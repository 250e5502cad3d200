import { constantTimeEqual } from '@keygate/crypto';
import type { Database, Queryable } from '@keygate/db';
import { AdminAuthError } from '../errors';
import type { AdminSecrets } from '../secrets';
import { builtInRole } from './permissions';
import { roleEntitiesMac, rolePermissionsMac, userMac, userRoleMac, type EndpointRow, type EntityRow, type Epoch, type RoleRow, type UserRow } from './rows';

const stateError = (message: string) => new AdminAuthError('RBAC_UNAUTHORIZED', message);

/**
 * The RBAC epoch (`rbac_state`, one MAC'd row). Every RBAC MAC covers the epoch it was signed
 * in and only rows of the current epoch are accepted. Writes lock the state row, so they
 * serialise; a revocation moves every row that still verifies to the next epoch (a row that
 * does not verify stays behind, refused), so a copy of a row saved before the revocation —
 * a deleted user, an old token hash, a removed link or an earlier permission set — no longer
 * verifies when a database writer restores it.
 */
export class RbacState {
  constructor(
    private readonly db: Database,
    private readonly secrets: AdminSecrets,
  ) {}

  mac(epoch: number): string {
    return this.secrets.rowMac(['rbac_state', epoch]);
  }

  /** The epoch a read saw (with the state row's MAC), or an error naming what is wrong. */
  verify(epoch: string | number | null | undefined, mac: string | null | undefined): number | Error {
    if (epoch === null || epoch === undefined || !mac) return stateError('the RBAC state row is missing');
    const n = Number(epoch);
    if (!constantTimeEqual(mac, this.mac(n))) return stateError('the RBAC state row fails its MAC (changed outside Keygate)');
    return n;
  }

  /** In a write's transaction, first: locks and verifies the state row; the epoch to sign in. */
  async lock(tx: Queryable): Promise<number> {
    const row = (await tx.query<{ epoch: string; mac: string }>('SELECT epoch, mac FROM rbac_state WHERE id FOR UPDATE')).rows[0];
    const epoch = this.verify(row?.epoch, row?.mac);
    if (epoch instanceof Error) throw epoch;
    return epoch;
  }

  /** A revocation: every row valid in `epoch` is signed again in `epoch + 1`. */
  async bump(tx: Queryable, epoch: number): Promise<void> {
    await this.#resign(tx, epoch, epoch + 1);
    await tx.query('UPDATE rbac_state SET epoch = $1, mac = $2 WHERE id', [epoch + 1, this.mac(epoch + 1)]);
  }

  /**
   * Once per database (upgrade or first start): rows signed before epochs existed are verified
   * in that format and signed in epoch 1. Refused when the state row is gone but rows already
   * carry an epoch: starting over would accept rows saved before a revocation.
   */
  async initialise(): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['keygate rbac state']);
      if ((await tx.query('SELECT 1 FROM rbac_state')).rows.length > 0) return;
      const signed = (await tx.query('SELECT 1 FROM rbac_users WHERE epoch IS NOT NULL UNION ALL SELECT 1 FROM rbac_user_roles WHERE epoch IS NOT NULL LIMIT 1')).rows.length > 0;
      if (signed) return;
      await this.#resign(tx, null, 1);
      await tx.query('INSERT INTO rbac_state (id, epoch, mac) VALUES (TRUE, 1, $1)', [this.mac(1)]);
    });
  }

  async #resign(tx: Queryable, from: Epoch, to: number): Promise<void> {
    const at = from === null ? 'epoch IS NULL' : 'epoch = $1';
    const args = from === null ? [] : [from];
    for (const u of (await tx.query<UserRow & Record<string, unknown>>(`SELECT * FROM rbac_users WHERE ${at}`, args)).rows) {
      if (u.mac && constantTimeEqual(u.mac, userMac(this.secrets, u, from))) {
        await tx.query('UPDATE rbac_users SET mac = $2, epoch = $3 WHERE id = $1', [u.id, userMac(this.secrets, u, to), to]);
      }
    }
    for (const l of (await tx.query<{ user_id: string; role_id: string; mac: string | null }>(`SELECT * FROM rbac_user_roles WHERE ${at}`, args)).rows) {
      if (l.mac && constantTimeEqual(l.mac, userRoleMac(this.secrets, l.user_id, l.role_id, from))) {
        await tx.query('UPDATE rbac_user_roles SET mac = $3, epoch = $4 WHERE user_id = $1 AND role_id = $2', [l.user_id, l.role_id, userRoleMac(this.secrets, l.user_id, l.role_id, to), to]);
      }
    }
    for (const r of (await tx.query<RoleRow & Record<string, unknown>>(`SELECT * FROM rbac_roles WHERE ${at}`, args)).rows) {
      if (builtInRole(r.id)) continue;
      const endpoints = (await tx.query<EndpointRow & Record<string, unknown>>('SELECT * FROM rbac_role_endpoints WHERE role_id = $1', [r.id])).rows;
      const entities = (await tx.query<EntityRow & Record<string, unknown>>('SELECT * FROM rbac_role_entities WHERE role_id = $1', [r.id])).rows;
      const endpointsOk = r.permissions_mac !== null && constantTimeEqual(r.permissions_mac, rolePermissionsMac(this.secrets, r, endpoints, from));
      // Roles made before entity permissions have no entities MAC and no entity rows.
      const entitiesOk = r.entities_mac === null ? entities.length === 0 : constantTimeEqual(r.entities_mac, roleEntitiesMac(this.secrets, r, entities, from));
      if (endpointsOk && entitiesOk) {
        await tx.query('UPDATE rbac_roles SET permissions_mac = $2, entities_mac = $3, epoch = $4 WHERE id = $1', [
          r.id,
          rolePermissionsMac(this.secrets, r, endpoints, to),
          roleEntitiesMac(this.secrets, r, entities, to),
          to,
        ]);
      }
    }
  }
}
