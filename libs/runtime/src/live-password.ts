import { Secret } from '@keygate/crypto';
import type { PasswordProvider, PoolRole } from '@keygate/db';
import type { AppContext } from './run-app';

/**
 * When `pg_password` (or `pg_ro_password`) came from a `{vault://...}` reference with a TTL:
 * the password of each new connection is the reference's current value, so after a rotation new
 * connections use the new password while established ones keep working until they close.
 */
export function livePassword(ctx: Pick<AppContext, 'loaded' | 'logger'>, role: PoolRole): PasswordProvider | undefined {
  const key = role === 'ro' && ctx.loaded.sources.has('pg_ro_password') ? 'pg_ro_password' : 'pg_password';
  const current = ctx.loaded.live(key, ctx.logger);
  return current && (async () => new Secret(await current()));
}
