import { z } from 'zod';
import type { EntityDefinition } from '../definition';
import type { FieldErrors } from '../schema/errors';
import { array, bool, foreign, int, oneOf, path, str } from '../schema/fields';
import { baseFields, nullable, tagsField, updatedAt } from './common';

/** Kong's `hash_on` / `hash_fallback` values. */
export const HASH_ON = ['none', 'consumer', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture'] as const;
export const ALGORITHMS = ['consistent-hashing', 'least-connections', 'round-robin', 'latency'] as const;

const counter = () => int(0, 255);
const seconds = () => z.number({ error: (i) => (i.input === undefined ? undefined : 'expected a number') }).min(0, { error: 'value should be between 0 and 65535' }).max(65535, { error: 'value should be between 0 and 65535' });
const statuses = (defaults: number[]) => array(int(100, 999)).default(defaults);

const PASSIVE_HEALTHY = [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308];

/** `healthchecks`, every key with Kong's default (kong/db/schema/entities/upstreams.lua). */
const healthchecks = z
  .object({
    active: z
      .object({
        type: oneOf(['tcp', 'http', 'https', 'grpc', 'grpcs']).default('http'),
        timeout: seconds().default(1),
        concurrency: int(1, 2 ** 31 - 1).default(10),
        http_path: path().default('/'),
        https_sni: nullable(str()),
        https_verify_certificate: bool().default(true),
        headers: nullable(z.record(str(), array(str()))),
        healthy: z
          .object({ interval: seconds().default(0), successes: counter().default(0), http_statuses: statuses([200, 302]) })
          .strict()
          .prefault({}),
        unhealthy: z
          .object({
            interval: seconds().default(0),
            tcp_failures: counter().default(0),
            timeouts: counter().default(0),
            http_failures: counter().default(0),
            http_statuses: statuses([429, 404, 500, 501, 502, 503, 504, 505]),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    passive: z
      .object({
        type: oneOf(['tcp', 'http', 'https', 'grpc', 'grpcs']).default('http'),
        healthy: z.object({ successes: counter().default(0), http_statuses: statuses(PASSIVE_HEALTHY) }).strict().prefault({}),
        unhealthy: z
          .object({ tcp_failures: counter().default(0), timeouts: counter().default(0), http_failures: counter().default(0), http_statuses: statuses([429, 500, 503]) })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    threshold: z.number({ error: (i) => (i.input === undefined ? undefined : 'expected a number') }).min(0, { error: 'value should be between 0 and 100' }).max(100, { error: 'value should be between 0 and 100' }).default(0),
  })
  .strict();

export type Healthchecks = z.output<typeof healthchecks>;

/** The defaults alone (what an upstream created without `healthchecks` holds). */
export const DEFAULT_HEALTHCHECKS: Healthchecks = healthchecks.parse({});

const HOSTNAME = /^([A-Za-z0-9]([A-Za-z0-9-_]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-_]{0,61}[A-Za-z0-9])?$/;
const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;

/** Kong's upstream `name`: a hostname, no IP address, no port. */
const upstreamName = () =>
  str().superRefine((v, ctx) => {
    let reason: string | undefined;
    if (IPV4.test(v) || /^\[?[0-9A-Fa-f]*:[0-9A-Fa-f:.]*\]?$/.test(v)) reason = 'no ip addresses allowed';
    else if (/:\d+$/.test(v)) reason = 'no port allowed';
    else if (!HOSTNAME.test(v)) reason = 'must be a valid hostname';
    if (reason) ctx.addIssue({ code: 'custom', message: `Invalid name ('${v}'); ${reason}` });
  });

const hostHeader = () =>
  str().refine((v) => /^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(v) || /^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(v), { error: (i) => `invalid value: ${String(i.input)}` });

/** Healthchecks are on when an active interval or a passive unhealthy counter is not 0 (Kong's rule). */
export function healthchecksOn(h: Healthchecks): { active: boolean; passive: boolean } {
  const active = h.active.healthy.interval !== 0 || h.active.unhealthy.interval !== 0;
  const u = h.passive.unhealthy;
  return { active, passive: u.tcp_failures !== 0 || u.timeouts !== 0 || u.http_failures !== 0 };
}

const HASH_FIELDS = { header: 'header', query_arg: 'query_arg', uri_capture: 'uri_capture' } as const;

/** Kong's entity checks of the hashing options. */
function checkHashing(e: Record<string, unknown>): FieldErrors | undefined {
  const errors: FieldErrors = {};
  const on = String(e.hash_on);
  const fallback = String(e.hash_fallback);
  if ((on === 'none' || on === 'cookie') && fallback !== 'none') errors.hash_fallback = `must be 'none' when 'hash_on' is '${on}'`;
  else if (fallback !== 'none' && fallback === on && !(on in HASH_FIELDS)) errors.hash_fallback = `must not be the same as 'hash_on'`;
  for (const [mode, suffix] of Object.entries(HASH_FIELDS)) {
    if (on === mode && e[`hash_on_${suffix}`] == null) errors[`hash_on_${suffix}`] = `required field missing`;
    if (fallback === mode && e[`hash_fallback_${suffix}`] == null) errors[`hash_fallback_${suffix}`] = `required field missing`;
    if (on === mode && fallback === mode && e[`hash_on_${suffix}`] != null && e[`hash_on_${suffix}`] === e[`hash_fallback_${suffix}`]) {
      errors[`hash_fallback_${suffix}`] = `must not be equal to 'hash_on_${suffix}'`;
    }
  }
  if ((on === 'cookie' || fallback === 'cookie') && e.hash_on_cookie == null) errors.hash_on_cookie = 'required field missing';
  return Object.keys(errors).length > 0 ? errors : undefined;
}

export const upstreams: EntityDefinition = {
  name: 'upstreams',
  schema: z
    .object({
      ...baseFields,
      ...updatedAt,
      name: upstreamName(),
      algorithm: oneOf(ALGORITHMS).default('round-robin'),
      hash_on: oneOf(HASH_ON).default('none'),
      hash_fallback: oneOf(HASH_ON).default('none'),
      hash_on_header: nullable(str()),
      hash_fallback_header: nullable(str()),
      hash_on_cookie: nullable(str()),
      hash_on_cookie_path: path().default('/'),
      hash_on_query_arg: nullable(str()),
      hash_fallback_query_arg: nullable(str()),
      hash_on_uri_capture: nullable(str()),
      hash_fallback_uri_capture: nullable(str()),
      slots: int(10, 2 ** 16).default(10000),
      healthchecks: healthchecks.prefault({}),
      ...tagsField,
      host_header: nullable(hostHeader()),
      client_certificate: nullable(foreign()),
      use_srv_name: bool().default(false),
    })
    .strict(),
  endpointKey: 'name',
  foreignKeys: [{ field: 'client_certificate', entity: 'certificates', column: 'client_certificate_id' }],
  jsonColumns: ['healthchecks'],
  hasUpdatedAt: true,
  // Kong's shorthands: a hashing `hash_on` means consistent-hashing; another algorithm resets it.
  transform: (input) => {
    const out = { ...input };
    if (out.algorithm === 'least-connections' || out.algorithm === 'latency' || out.algorithm === 'round-robin') {
      if (out.hash_on === undefined) out.hash_on = 'none';
    } else if (typeof out.hash_on === 'string' && out.algorithm === undefined) {
      out.algorithm = out.hash_on === 'none' ? 'round-robin' : 'consistent-hashing';
    }
    return out;
  },
  finalize: (entity) => checkHashing(entity),
};
