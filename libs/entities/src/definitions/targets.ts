import { z } from 'zod';
import type { EntityDefinition } from '../definition';
import { foreign, int, str } from '../schema/fields';
import { baseFields, tagsField, updatedAt } from './common';

const HOSTNAME = /^([A-Za-z0-9]([A-Za-z0-9-_]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-_]{0,61}[A-Za-z0-9])?$/;
const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

/** Kong's default target port. */
export const DEFAULT_TARGET_PORT = 8000;

/** `host[:port]`, `[ipv6][:port]` or a bare IPv6 address into host and port; undefined if not valid. */
export function parseTarget(value: string): { host: string; port: number } | undefined {
  let host = value;
  let port = DEFAULT_TARGET_PORT;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (bracketed) {
    host = bracketed[1] as string;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
    if (!IPV6.test(host) || !host.includes(':')) return undefined;
  } else if ((value.match(/:/g) ?? []).length > 1) {
    if (!IPV6.test(value)) return undefined;
  } else {
    const colon = value.indexOf(':');
    if (colon !== -1) {
      if (!/^\d{1,5}$/.test(value.slice(colon + 1))) return undefined;
      host = value.slice(0, colon);
      port = Number(value.slice(colon + 1));
    }
    if (IPV4.test(host) ? !host.split('.').every((n) => Number(n) <= 255) : !HOSTNAME.test(host)) return undefined;
  }
  if (port < 0 || port > 65535) return undefined;
  return { host, port };
}

/** A target as Kong stores it: with its port, IPv6 in brackets. */
export function formatTarget(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const target = () =>
  str().refine((v) => parseTarget(v) !== undefined, { error: 'Invalid target; not a valid hostname or ip address' });

export const targets: EntityDefinition = {
  name: 'targets',
  schema: z
    .object({
      ...baseFields,
      ...updatedAt,
      upstream: foreign(),
      target: target(),
      weight: int(0, 65535).default(100),
      ...tagsField,
    })
    .strict(),
  endpointKey: 'target',
  foreignKeys: [{ field: 'upstream', entity: 'upstreams', column: 'upstream_id' }],
  jsonColumns: [],
  hasUpdatedAt: true,
  // Stored with its port (Kong's 8000 when none is given).
  transform: (input) => {
    if (typeof input.target !== 'string') return input;
    const parsed = parseTarget(input.target);
    return parsed ? { ...input, target: formatTarget(parsed.host, parsed.port) } : input;
  },
  derived: (entity) => ({ cache_key: `targets:${(entity.upstream as { id?: string } | null)?.id ?? ''}:${String(entity.target)}` }),
  derivedUniqueFields: { cache_key: ['upstream', 'target'] },
};
