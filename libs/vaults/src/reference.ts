import { InvalidReferenceError } from './errors';

/** `{vault://<vault name or prefix>/<resource>[/<key>][/][?option=value...][#version]}`, parsed. */
export interface ParsedReference {
  /** The reference as written. */
  readonly reference: string;
  /** A backend name (`aws`) or the prefix of a `/vaults` entity (`my-aws`). */
  readonly name: string;
  /** The secret to read (`kong-gateway-database`, `path/to/secret`). */
  readonly resource: string;
  /** JSON field of the secret's value (`pg_user`); absent = the whole value as a string. */
  readonly key?: string;
  /** `#N`: AWS 1 = AWSCURRENT, 2 = AWSPREVIOUS; KV v2 version; env 2 = `<NAME>_PREVIOUS`. */
  readonly version?: number;
  /** Query options overriding the vault's config for this reference (`ttl`, `region`, ...). */
  readonly options: Readonly<Record<string, string>>;
}

const START = '{vault://';

/** Kong's `is_reference`: starts with `{vault://` and ends with `}`. */
export function isReference(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(START) && value.endsWith('}');
}

/**
 * Kong's `parse_reference` (kong/pdk/vault.lua), with its error texts. One deliberate
 * addition, as the issue specifies: a trailing `/` asks for the whole value of a resource whose
 * name has slashes (`{vault://hcv/path/to/secret/}`), where Kong would read `secret` as a key.
 */
export function parseReference(reference: string): ParsedReference {
  if (!isReference(reference)) throw new InvalidReferenceError('not a reference', String(reference));
  const url = reference.slice(START.length, -1);
  const fail = (reason: string): never => {
    throw new InvalidReferenceError(reason, reference);
  };

  const hashAt = url.indexOf('#');
  const fragment = hashAt >= 0 ? url.slice(hashAt + 1) : undefined;
  const beforeFragment = hashAt >= 0 ? url.slice(0, hashAt) : url;
  const queryAt = beforeFragment.indexOf('?');
  const query = queryAt >= 0 ? beforeFragment.slice(queryAt + 1) : undefined;
  const hostAndPath = queryAt >= 0 ? beforeFragment.slice(0, queryAt) : beforeFragment;

  const slash = hostAndPath.indexOf('/');
  const authority = slash >= 0 ? hostAndPath.slice(0, slash) : hostAndPath;
  // Kong reads the part before the path as a URL authority: `user@` and `:port` are not the host
  // (`{vault://@/test}` and `{vault://:80/test}` have none).
  const name = authority.replace(/^.*@/, '').replace(/:\d*$/, '');
  if (name === '') fail('reference url is missing host');
  if (slash < 0) fail('reference url is missing path');
  const path = hostAndPath.slice(slash + 1);
  if (path === '') fail('reference url has empty path');

  let version: number | undefined;
  if (fragment !== undefined) {
    if (!/^\d+$/.test(fragment)) fail('reference url has invalid version');
    version = Number(fragment);
  }

  // Empty segments are ignored, as LuaSocket's parse_path does.
  const parts = path.split('/').filter((part) => part !== '');
  if (parts.length === 0) fail('reference url has invalid path');
  const whole = path.endsWith('/') || parts.length === 1;
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return fail('reference url has invalid path');
    }
  };
  const resource = decode((whole ? parts : parts.slice(0, -1)).join('/'));
  const key = whole ? undefined : decode(parts[parts.length - 1] as string);

  const options: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(query ?? '')) options[k] = v === '' ? 'true' : v;

  return Object.freeze({
    reference,
    name,
    resource,
    ...(key !== undefined ? { key } : {}),
    ...(version !== undefined ? { version } : {}),
    options: Object.freeze(options),
  });
}
