import { Writable } from 'node:stream';
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/** Kong's log levels (`log_level`) and the pino level each maps to. */
export const KONG_LEVELS = {
  debug: 'debug',
  info: 'info',
  notice: 'info',
  warn: 'warn',
  error: 'error',
  crit: 'fatal',
  alert: 'fatal',
  emerg: 'fatal',
} as const;

export type KongLogLevel = keyof typeof KONG_LEVELS;

/**
 * Field names whose values are always masked, wherever they appear in a logged object (a
 * second line of defence: secrets are held in `Secret`, which serialises as `[REDACTED]`).
 */
const SENSITIVE_FIELDS = [
  'password',
  'pg_password',
  'pg_ro_password',
  'token',
  'secret',
  'authorization',
  'apikey',
  'key',
  'private_key',
  'recovery_private_key',
  'keyring_private_key',
  'keyring_vault_token',
  'keyring_cluster_secret',
  'headers.authorization',
  'headers["proxy-authorization"]',
  'headers.apikey',
];

const REDACT_PATHS = SENSITIVE_FIELDS.flatMap((field) =>
  field.includes('.') || field.includes('[') ? [field, `*.${field}`] : [field, `*.${field}`, `*.*.${field}`],
);

export interface LoggerOptions {
  readonly level: KongLogLevel;
  /** Bound to every line, e.g. `{ app: 'admin', node_id }`. */
  readonly bindings?: Record<string, unknown>;
  /** Defaults to stdout. Tests pass a stream to capture lines. */
  readonly destination?: DestinationStream;
  /** Write to stderr instead of stdout (command-line tools, whose stdout is their output). */
  readonly stderr?: boolean;
  /**
   * Values masked wherever they appear in a line: settings read from `{vault://...}` references
   * (a `pg_user` is not a `Secret`, but came from a vault). Values shorter than 3 characters are
   * left alone, so a log stays readable.
   */
  readonly redactValues?: readonly string[];
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: KONG_LEVELS[options.level],
      base: { pid: process.pid, ...options.bindings },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      ...maskValues(options.redactValues ?? []),
    },
    options.destination ?? pino.destination({ dest: options.stderr ? 2 : 1, sync: Boolean(options.stderr) }),
  );
}

/** Fields tools match on (`"listener":"admin"`); never masked. */
const STRUCTURAL_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'app', 'node_id', 'listener', 'component']);

function maskValues(values: readonly string[]): { hooks?: { streamWrite: (line: string) => string } } {
  const masked = [...new Set(values.filter((v) => v.length >= 3))].sort((a, b) => b.length - a.length);
  if (masked.length === 0) return {};
  const mask = (text: string) => masked.reduce((out, value) => out.split(value).join('[REDACTED]'), text);
  // Only inside string values, so keys and the JSON itself stay intact.
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return mask(node);
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, STRUCTURAL_FIELDS.has(k) ? v : walk(v)]));
    return node;
  };
  return {
    hooks: {
      streamWrite: (line) => {
        if (!masked.some((value) => line.includes(JSON.stringify(value).slice(1, -1)))) return line;
        try {
          return `${JSON.stringify(walk(JSON.parse(line)))}\n`;
        } catch {
          return mask(line);
        }
      },
    },
  };
}

/** A logger that drops everything (for library defaults and CLI paths that print instead). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** A real logger whose lines can be read back (tests assert that no secret is ever logged). */
export function memoryLogger(level: KongLogLevel = 'debug'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ level, destination }), lines };
}
