import { z } from 'zod';
import type { EntityDefinition, Expanded } from '../definition';
import type { FieldErrors } from '../schema/errors';
import { array, bool, foreign, host, int, oneOf, path, port, PROTOCOLS, timeout, utf8Name, uuid } from '../schema/fields';
import { baseFields, nullable, tagsField, updatedAt } from './common';

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, ws: 80, wss: 443, grpc: 80, grpcs: 443 };

/**
 * Kong's `url` shorthand: `url=http://host:port/path` sets protocol, host, port and path
 * (port defaulting by scheme). It is never stored or returned.
 */
function expandUrl(input: Record<string, unknown>): Expanded {
  if (!('url' in input)) return { ok: true, value: input };
  const { url, ...rest } = input;
  if (url === null || url === undefined) return { ok: true, value: rest };
  if (typeof url !== 'string') return { ok: false, errors: { url: 'expected a string' } };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, errors: { url: 'missing host in url' } };
  }
  const protocol = parsed.protocol.replace(/:$/, '');
  if (!parsed.hostname) return { ok: false, errors: { url: 'missing host in url' } };
  const value = {
    ...rest,
    protocol,
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : (DEFAULT_PORTS[protocol] ?? 80),
    // `http://host` has no path (null); `http://host/` has `/`.
    path: url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').startsWith('/') ? decodeURI(parsed.pathname) : null,
  };
  return { ok: true, value };
}

export const services: EntityDefinition = {
  name: 'services',
  schema: z
    .object({
      ...baseFields,
      ...updatedAt,
      name: nullable(utf8Name()),
      retries: int(0, 32767).default(5),
      protocol: oneOf(PROTOCOLS).default('http'),
      host: host(),
      port: port().default(80),
      path: nullable(path()),
      connect_timeout: timeout().default(60000),
      write_timeout: timeout().default(60000),
      read_timeout: timeout().default(60000),
      ...tagsField,
      client_certificate: nullable(foreign()),
      tls_verify: nullable(bool()),
      tls_verify_depth: nullable(int(0, 64)),
      ca_certificates: nullable(array(uuid())),
      enabled: bool().default(true),
    })
    .strict(),
  endpointKey: 'name',
  foreignKeys: [{ field: 'client_certificate', entity: 'certificates', column: 'client_certificate_id' }],
  jsonColumns: [],
  hasUpdatedAt: true,
  expand: expandUrl,
  finalize: (entity): FieldErrors | undefined => {
    const http = ['http', 'https'].includes(String(entity.protocol));
    if (entity.path != null && !http && !['grpc', 'grpcs', 'ws', 'wss'].includes(String(entity.protocol))) {
      return { path: "value must be null when 'protocol' is not one of: http, https, grpc, grpcs, ws, wss" };
    }
    if (entity.client_certificate != null && entity.protocol !== 'https') {
      return { client_certificate: "value must be null when 'protocol' is not 'https'" };
    }
    return undefined;
  },
};
