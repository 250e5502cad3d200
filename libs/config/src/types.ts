import { z } from 'zod';
import { Secret } from '@keygate/crypto';

/**
 * A configuration value type: a zod schema that turns the raw text (from kong.conf or a
 * `KONG_*` variable) into a typed value, and the accepted form in words for error messages.
 */
export interface ValueType<T> {
  readonly schema: z.ZodType<T, string>;
  readonly expected: string;
  /** How the raw text is shown in `config check` and `GET /`; secrets never show it. */
  readonly display?: (raw: string) => string;
}

const text = () => z.string().trim();

export function string(expected = 'a string'): ValueType<string> {
  return { schema: text().min(1), expected };
}

export function secretString(): ValueType<Secret<string>> {
  return {
    schema: z.string().transform((v) => new Secret(v)),
    expected: 'a string',
    display: () => '[REDACTED]',
  };
}

export function integer(min: number, max: number): ValueType<number> {
  return {
    schema: text()
      .regex(/^-?\d+$/)
      .transform(Number)
      .pipe(z.number().int().min(min).max(max)),
    expected:
      max === Number.MAX_SAFE_INTEGER
        ? `an integer of at least ${min}`
        : `an integer between ${min} and ${max}`,
  };
}

export const port = (): ValueType<number> => integer(1, 65535);

const TRUE = ['on', 'true'];
const FALSE = ['off', 'false'];

/**
 * Kong's loader treats anything but `on`/`true` as false; a typo like `pg_ssl = onn` then
 * silently disables TLS. We accept Kong's words and reject everything else.
 */
export function boolean(): ValueType<boolean> {
  return {
    schema: text()
      .toLowerCase()
      .refine((v) => TRUE.includes(v) || FALSE.includes(v))
      .transform((v) => TRUE.includes(v)),
    expected: 'on or off (also true or false)',
  };
}

export function oneOf<const T extends readonly [string, ...string[]]>(...values: T): ValueType<T[number]> {
  return { schema: text().pipe(z.enum(values)), expected: `one of: ${values.join(', ')}` };
}

/** Comma-separated list, e.g. `vaults = bundled, my-vault`. */
export function list(expected = 'a comma-separated list'): ValueType<readonly string[]> {
  return {
    schema: z.string().transform((v) =>
      Object.freeze(
        v
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== ''),
      ),
    ),
    expected,
  };
}

/** Comma-separated list of secrets (e.g. `admin_ssl_cert_key`): held in a `Secret`, never printed. */
export function secretList(expected = 'a comma-separated list'): ValueType<Secret<readonly string[]>> {
  return {
    schema: list().schema.transform((items) => new Secret(items)),
    expected,
    display: () => '[REDACTED]',
  };
}

const TLS_PROTOCOLS = ['TLSv1.2', 'TLSv1.3'] as const;
export type TlsProtocol = (typeof TLS_PROTOCOLS)[number];

/** Kong's `ssl_protocols` (`TLSv1.2 TLSv1.3`); TLSv1 and TLSv1.1 are refused. */
export function tlsProtocols(): ValueType<readonly TlsProtocol[]> {
  return {
    schema: z
      .string()
      .transform((v) => v.split(/\s+/).filter((item) => item !== ''))
      .refine((items) => items.length > 0 && items.every((item) => (TLS_PROTOCOLS as readonly string[]).includes(item)))
      .transform((items) => Object.freeze([...new Set(items as TlsProtocol[])].sort())),
    expected: 'TLSv1.2 and/or TLSv1.3, separated by spaces (TLSv1 and TLSv1.1 are refused)',
  };
}

/**
 * Comma-separated http(s) URLs, kept as their origins (`scheme://host[:port]`): a path in the
 * URL is allowed (Kong accepts one in `admin_gui_url`) but only the origin is compared.
 */
export function origins(): ValueType<readonly string[]> {
  const origin = (item: string): string | undefined => {
    try {
      const url = new URL(item);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
    } catch {
      return undefined;
    }
  };
  const items = (v: string) => v.split(',').map((item) => item.trim()).filter((item) => item !== '');
  return {
    schema: z
      .string()
      .refine((v) => items(v).every((item) => origin(item) !== undefined))
      .transform((v) => Object.freeze([...new Set(items(v).map((item) => origin(item) as string))])),
    expected: 'a comma-separated list of http(s) URLs such as https://manager.example.com',
  };
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration like `500ms`, `30s`, `5m`, `12h`, `30d`; a bare number is seconds. Value in ms. */
export function duration(): ValueType<number> {
  return {
    schema: text()
      .regex(/^\d+(\.\d+)?(ms|s|m|h|d)?$/)
      .transform((v) => {
        const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v) as RegExpExecArray;
        return Math.round(Number(match[1]) * (DURATION_UNITS[match[2] ?? 's'] as number));
      }),
    expected: 'a duration such as 500ms, 30s, 5m, 12h or 30d (a bare number is seconds)',
  };
}

/** `redis://[user:password@]host:port[/db]` or `rediss://...`; the password never shows. */
export function redisUrl(): ValueType<Secret<string>> {
  return {
    schema: text()
      .refine((v) => {
        try {
          return ['redis:', 'rediss:'].includes(new URL(v).protocol);
        } catch {
          return false;
        }
      })
      .transform((v) => new Secret(v)),
    expected: 'a URL such as redis://127.0.0.1:6379 or rediss://user:password@host:6380/0',
    display: maskUrlPassword,
  };
}

export function maskUrlPassword(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = 'REDACTED';
    return url.toString();
  } catch {
    return '[REDACTED]';
  }
}
