import { existsSync, readFileSync } from 'node:fs';

/** A PEM setting could not be read: no such file, unreadable, or neither PEM nor base64 PEM. */
export class PemSettingError extends Error {
  readonly code = 'PEM_SETTING_UNREADABLE';
  constructor(message: string) {
    super(message);
    this.name = 'PemSettingError';
  }
}

/** Where a PEM came from, for messages: the file path, `PEM text` or `base64 PEM` (never the PEM). */
export interface PemSource {
  readonly pem: string;
  readonly where: string;
}

/**
 * Reads a setting that holds PEM as Kong does: PEM text, a file path, or base64 of PEM. Errors
 * name the setting and the file; a value that is neither is shown only when it is short enough
 * to be a path (a mangled key must not end up in a log).
 */
export function readPemSetting(setting: string, value: string): PemSource {
  const trimmed = value.trim();
  if (trimmed.includes('-----BEGIN')) return { pem: trimmed, where: 'PEM text' };
  if (existsSync(trimmed)) {
    try {
      return { pem: readFileSync(trimmed, 'utf8'), where: trimmed };
    } catch (err) {
      throw new PemSettingError(`${setting}: failed to read file ${trimmed}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const decoded = /^[A-Za-z0-9+/=\s]+$/.test(trimmed) ? Buffer.from(trimmed, 'base64').toString('utf8') : '';
  if (decoded.includes('-----BEGIN')) return { pem: decoded, where: 'base64 PEM' };
  const shown = trimmed.length <= 256 && !/\s/.test(trimmed) ? `${trimmed}: ` : '';
  throw new PemSettingError(`${setting}: failed to read file ${shown}no such file (expected a file path, PEM text or base64 PEM)`);
}
