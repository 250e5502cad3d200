import { Secret, REDACTED } from '@keygate/crypto';
import { KEYS, type ConfigKey } from './keys';
import type { ListenAddress } from './listen';
import type { LoadedConfig } from './load';
import { describeSource } from './source';
import type { KeySpec } from './spec';

export interface DisplayedSetting {
  readonly key: string;
  /** JSON-safe value with secrets redacted; references shown as written. */
  readonly value: unknown;
  readonly source: string;
}

function isListen(value: unknown): value is readonly ListenAddress[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'object' && v !== null && 'port' in v && 'text' in v);
}

function displayValue(loaded: LoadedConfig, key: string, value: unknown): unknown {
  const reference = loaded.references.find((r) => r.key === key);
  if (reference) return reference.reference;
  const spec = KEYS[key as ConfigKey] as KeySpec<unknown> | undefined;
  if (value === undefined) return null;
  if (value instanceof Secret) {
    const raw = value.reveal();
    return spec?.type.display && typeof raw === 'string' ? spec.type.display(raw) : REDACTED;
  }
  if (isListen(value)) return value.map((l) => l.text);
  return value;
}

/** Every key with its effective value (secrets redacted) and where it came from. */
export function displaySettings(loaded: LoadedConfig): DisplayedSetting[] {
  const rows: DisplayedSetting[] = Object.keys(KEYS).map((key) => {
    const source = loaded.sources.get(key);
    return {
      key,
      value: displayValue(loaded, key, loaded.config[key as ConfigKey]),
      source: source ? describeSource(source) : 'default',
    };
  });
  for (const [key, value] of Object.entries(loaded.config.vault_options)) {
    const source = loaded.sources.get(key);
    const reference = loaded.references.find((r) => r.key === key);
    rows.push({
      key,
      // vault_* options include tokens and secret ids; only the backend knows which, so all
      // values that look like credentials are hidden here.
      value: reference ? reference.reference : /(token|secret|password|key)/.test(key) ? REDACTED : value,
      source: source ? describeSource(source) : 'default',
    });
  }
  return rows;
}

/** The configuration as a JSON object for `GET /`, with every secret redacted. */
export function redactedConfig(loaded: LoadedConfig): Record<string, unknown> {
  return Object.fromEntries(displaySettings(loaded).map((row) => [row.key, row.value]));
}
