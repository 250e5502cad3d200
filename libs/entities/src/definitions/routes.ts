import { z } from 'zod';
import type { Entity, EntityDefinition } from '../definition';
import { array, bool, foreign, int, oneOf, PROTOCOLS, set, str, utf8Name } from '../schema/fields';
import { baseFields, nullable, tagsField, updatedAt } from './common';

const METHOD = /^[A-Z]+$/;
const ROUTE_HOST = /^(\*\.)?([A-Za-z0-9-]+\.)*[A-Za-z0-9-]+(\.\*)?(:\d{1,5})?$/;

const method = () => str().refine((v) => METHOD.test(v), { error: (i) => `invalid value: ${String(i.input)}` });

const routeHost = () =>
  str().refine((v) => ROUTE_HOST.test(v) && (v.match(/\*/g) ?? []).length <= 1, {
    error: (i) => `invalid value: ${String(i.input)}`,
  });

/** Kong route paths: a prefix starting with `/`, or a regex starting with `~`. */
const routePath = () =>
  str()
    .refine((v) => v.startsWith('/') || v.startsWith('~'), { error: 'should start with: / (fixed path) or ~/ (regex path)' })
    .superRefine((v, ctx) => {
      if (!v.startsWith('~')) return;
      try {
        new RegExp(v.slice(1));
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `invalid regex: '${v}' (${(err as Error).message})` });
      }
    });

const headers = () =>
  z
    .record(str(), array(str()), { error: (i) => (i.input === undefined ? undefined : 'expected a map') })
    .superRefine((value, ctx) => {
      for (const name of Object.keys(value)) {
        if (name.toLowerCase() === 'host') {
          ctx.addIssue({ code: 'custom', path: [name], message: "cannot contain 'host' header, which must be specified in the 'hosts' attribute" });
        }
      }
    });

const isSet = (value: unknown) => Array.isArray(value) ? value.length > 0 : value !== null && value !== undefined && (typeof value !== 'object' || Object.keys(value as object).length > 0);

/** Kong's conditional check: an HTTP route needs something to match on. */
function checkMatchers(entity: Entity) {
  const protocols = (entity.protocols as string[] | null) ?? [];
  const https = protocols.includes('https');
  if (!https && !protocols.includes('http')) return undefined;
  const fields = https ? ['methods', 'hosts', 'headers', 'paths', 'snis'] : ['methods', 'hosts', 'headers', 'paths'];
  if (fields.some((f) => isSet(entity[f]))) return undefined;
  const list = fields.map((f) => `'${f}'`).join(', ');
  return { '@entity': [`must set one of ${list} when 'protocols' is '${https ? 'https' : 'http'}'`] };
}

/** Kong's type of `sources` / `destinations` (stream routes, which this version does not serve). */
const STREAM_ENDPOINTS = {
  type: 'set',
  elements: { type: 'record', fields: [{ ip: { type: 'string' } }, { port: { type: 'integer', between: [0, 65535] } }] },
};

export const routes: EntityDefinition = {
  name: 'routes',
  schema: z
    .object({
      ...baseFields,
      ...updatedAt,
      name: nullable(utf8Name()),
      protocols: set(oneOf(PROTOCOLS)).default(['http', 'https']),
      methods: nullable(set(method())),
      hosts: nullable(array(routeHost())),
      paths: nullable(array(routePath())),
      headers: nullable(headers()),
      https_redirect_status_code: int(100, 599)
        .refine((v) => [426, 301, 302, 307, 308].includes(v), { error: 'expected one of: 426, 301, 302, 307, 308' })
        .default(426),
      regex_priority: int(-(2 ** 31), 2 ** 31 - 1).default(0),
      strip_path: bool().default(true),
      path_handling: oneOf(['v0', 'v1']).default('v0'),
      preserve_host: bool().default(false),
      request_buffering: bool().default(true),
      response_buffering: bool().default(true),
      snis: nullable(set(str())),
      sources: z.null().optional().meta({ kong: STREAM_ENDPOINTS }),
      destinations: z.null().optional().meta({ kong: STREAM_ENDPOINTS }),
      ...tagsField,
      service: nullable(foreign()),
    })
    .strict(),
  endpointKey: 'name',
  foreignKeys: [{ field: 'service', entity: 'services', column: 'service_id' }],
  jsonColumns: ['headers'],
  hasUpdatedAt: true,
  finalize: checkMatchers,
};
