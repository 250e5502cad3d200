import { badRequest } from './envelope';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Vault durations: a number of seconds (`300`, `"300"`) or Go-style text (`"1h30m"`, `"45s"`). */
export function parseDuration(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string') {
    if (/^\d+$/.test(value)) return Number(value);
    const parts = [...value.matchAll(/(\d+)([smhd])/g)];
    if (parts.length > 0 && parts.map((p) => p[0]).join('') === value) {
      return parts.reduce((total, p) => total + Number(p[1]) * (UNITS[p[2]!] ?? 0), 0);
    }
  }
  throw badRequest(`invalid ${field}: ${JSON.stringify(value)}`);
}

/** A whole number that Vault also accepts as a string (`max_versions: "5"`). */
export function parseCount(value: unknown, field: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n;
  throw badRequest(`invalid ${field}: ${JSON.stringify(value)}`);
}
