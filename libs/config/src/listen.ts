import { z } from 'zod';
import type { ValueType } from './types';

/** One entry of Kong's `*_listen` syntax: `host:port [ssl] [http2] [reuseport] [backlog=N] ...`. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  readonly ssl: boolean;
  readonly http2: boolean;
  readonly reuseport: boolean;
  readonly backlog?: number;
  /** The entry as written, for messages. */
  readonly text: string;
}

const KNOWN_FLAGS = new Set(['ssl', 'http2', 'reuseport', 'deferred', 'bind', 'proxy_protocol']);
const FLAG_WITH_VALUE = /^(backlog|ipv6only|so_keepalive)=(.+)$/;
const ADDRESS = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/;

export function parseListenEntry(entry: string): ListenAddress | string {
  const [address, ...flags] = entry.trim().split(/\s+/);
  const match = ADDRESS.exec(address ?? '');
  if (!match) return `'${address}' is not of the form host:port or [ipv6]:port`;
  const host = match[1] ?? (match[2] as string);
  const portNumber = Number(match[3]);
  if (portNumber > 65535) return `port ${portNumber} is out of range (0-65535)`;
  let backlog: number | undefined;
  for (const flag of flags) {
    const withValue = FLAG_WITH_VALUE.exec(flag);
    if (withValue) {
      if (withValue[1] === 'backlog') {
        backlog = Number(withValue[2]);
        if (!Number.isInteger(backlog) || backlog < 1) return `invalid backlog '${withValue[2]}'`;
      }
    } else if (!KNOWN_FLAGS.has(flag)) {
      return `unknown flag '${flag}'`;
    }
  }
  return {
    host,
    port: portNumber,
    ssl: flags.includes('ssl'),
    http2: flags.includes('http2'),
    reuseport: flags.includes('reuseport'),
    ...(backlog === undefined ? {} : { backlog }),
    text: entry.trim(),
  };
}

/** A `*_listen` value: a comma-separated list of entries, or `off`. Port 0 picks a free port. */
export function listen(): ValueType<readonly ListenAddress[]> {
  return {
    schema: z.string().transform((value, ctx) => {
      if (value.trim() === 'off') return Object.freeze([]);
      const out: ListenAddress[] = [];
      for (const entry of value.split(',')) {
        if (entry.trim() === '') continue;
        const parsed = parseListenEntry(entry);
        if (typeof parsed === 'string') {
          ctx.addIssue({ code: 'custom', message: parsed });
          return z.NEVER;
        }
        out.push(Object.freeze(parsed));
      }
      return Object.freeze(out);
    }),
    expected: "'off' or a comma-separated list of host:port entries with optional flags (ssl, http2, reuseport, backlog=N)",
  };
}
