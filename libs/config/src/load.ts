import { z } from 'zod';
import { Secret } from '@keygate/crypto';
import { awsEnvironment, type AwsEnvironment } from './aws';
import { processEnv, type Env } from './env';
import { ConfigError, type ConfigIssue } from './errors';
import { KEYS, VAULT_KEY_PATTERN, type ConfigKey, type ConfigValues } from './keys';
import { collectSettings, DEFAULT_CONF_PATHS, findConfFile, type RawSettings } from './layers';
import { isReference, looksLikeReference, type ConfigReference, type ReferenceResolver, type ResolveContext } from './reference';
import { CONFIG_CHECKS, type ConfigCheck } from './checks';
import type { KeySpec } from './spec';
import type { ValueSource } from './source';
import { readAwsSecretLayer, type AwsSecretOptions } from './sources/aws-secret';

export interface Config extends ConfigValues {
  /** Kong's `vault_<name>_<field>` settings, keyed by the full key name. */
  readonly vault_options: Readonly<Record<string, string>>;
  /** The standard `AWS_*` variables, read with the rest (libs/aws takes them from here). */
  readonly aws: AwsEnvironment;
}

export interface LoadConfigOptions {
  /** Configuration file (`-c`); otherwise `KONG_CONF`, then Kong's default paths. */
  readonly file?: string;
  /** Environment to read `KONG_*` from; defaults to the process environment. */
  readonly env?: Env;
  /** Settings that win over file and environment (tests, the cluster launcher). */
  readonly overrides?: Readonly<Record<string, string>>;
  /** Settings used where no layer sets the key (the cluster launcher's generated cluster secret); validated with the rest. */
  readonly defaults?: Readonly<Record<string, string>>;
  /** Resolves `{vault://...}` values. Without it, a reference is a configuration error... */
  readonly resolve?: ReferenceResolver;
  /** ...unless this is set: then references stay unresolved and skip validation (`config check`). */
  readonly allowUnresolved?: boolean;
  readonly defaultPaths?: readonly string[];
  /** Rules of the layers above (e.g. `plugins` and `vaults` name what this build ships), run with the built-in ones. */
  readonly checks?: readonly ConfigCheck[];
  /** A node configuration in AWS Secrets Manager (`--aws-kms-secret-name` / `AWS_KMS_SECRET_NAME`), below file and env. */
  readonly awsSecret?: AwsSecretOptions;
}

export interface LoadedConfig {
  readonly config: Config;
  readonly file: string | undefined;
  /** Where each explicitly set key came from; keys absent here have their default. */
  readonly sources: ReadonlyMap<string, ValueSource>;
  /** Keys whose value is (or was) a vault reference. */
  readonly references: readonly ConfigReference[];
  /** References left unresolved (only with `allowUnresolved`). */
  readonly unresolved: ReadonlySet<string>;
  readonly warnings: readonly string[];
  /**
   * For a key loaded from a reference with a TTL (e.g. `pg_password`): a function giving its
   * current value, so new database connections use a rotated password. Undefined otherwise.
   */
  readonly live: (key: string, logger?: unknown) => (() => Promise<string>) | undefined;
  /** The values settings got from references, to mask in logs (never shown anywhere). */
  readonly referenceValues: () => string[];
}

/** Reads the file and `KONG_*` env, resolves references, validates once, and freezes. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? processEnv();
  const warnings: string[] = [];
  const file = findConfFile(options.file, env, options.defaultPaths ?? DEFAULT_CONF_PATHS);
  const secret = await readAwsSecretLayer(options.awsSecret, env, awsEnvironment(env));
  const settings = collectSettings(file, env, options.overrides ?? {}, warnings, secret, options.defaults);
  const issues: ConfigIssue[] = [];

  for (const [key, s] of settings) {
    if (looksLikeReference(s.value)) {
      warnings.push(`${key}: the value looks like a mistyped vault reference (expected {vault://<vault>/<secret>[/<key>]}); it is used as written`);
    }
    if (/^<[^<>]+>$/.test(s.value.trim())) {
      issues.push({ key, source: s.source, message: `${s.value.trim()} is a placeholder from an example; put the real value in its place` });
    }
  }
  const references = [...settings]
    .filter(([, s]) => isReference(s.value))
    .map(([key, s]) => ({ key, reference: s.value.trim() }));
  const resolved = new Set<string>();
  const unresolved = new Set<string>();
  await resolveReferences(references, settings, options, { resolved, unresolved, issues, warnings });

  const config = validate(settings, { resolved, unresolved }, issues, awsEnvironment(env));
  if (config) {
    for (const check of [...CONFIG_CHECKS, ...(options.checks ?? [])]) issues.push(...check(config, settings));
  }
  if (!config || issues.length > 0) throw new ConfigError(issues);
  // docker-compose.yml's default secret is public; every node says so at start (docs/keyring.md).
  if (config.keyring_cluster_secret?.reveal().startsWith('local-only-')) {
    warnings.push(
      'keyring_cluster_secret is a local-only placeholder (it starts with "local-only-" and is published in docker-compose.yml): anyone who can reach this database can join the keyring exchange. Set your own secret (KEYGATE_CLUSTER_SECRET with docker compose) anywhere but a local test cluster.',
    );
  }

  const sources = new Map([...settings].map(([key, s]) => [key, s.source]));
  const live = (key: string, logger?: unknown) => {
    const ref = references.find((r) => r.key === key);
    return ref && resolved.has(key) ? options.resolve?.live?.(ref, logger) : undefined;
  };
  return Object.freeze({
    config,
    file,
    sources,
    references: Object.freeze(references),
    unresolved,
    warnings: Object.freeze(warnings),
    live,
    referenceValues: () =>
      references
        .filter((r) => resolved.has(r.key))
        .map((r) => {
          const value: unknown = (config as unknown as Record<string, unknown>)[r.key] ?? config.vault_options[r.key];
          return value instanceof Secret ? value.reveal() : value;
        })
        .flatMap((v) => (Array.isArray(v) ? (v as unknown[]) : [v]))
        .filter((v): v is string => typeof v === 'string'),
  });
}

interface ReferenceState {
  readonly resolved: Set<string>;
  readonly unresolved: Set<string>;
  readonly issues: ConfigIssue[];
  readonly warnings: string[];
}

/**
 * Parses every reference before anything is read (the resolver's `check`): a malformed one is an
 * issue naming its key, an unknown option a warning. Returns the references that parsed.
 */
function checkReferences(references: readonly ConfigReference[], settings: RawSettings, options: LoadConfigOptions, state: ReferenceState): ConfigReference[] {
  const check = options.resolve?.check;
  if (!check) return [...references];
  const context = resolveContext(settings, options.env ?? processEnv());
  return references.filter((ref) => {
    try {
      for (const warning of check(ref, context)) state.warnings.push(`${ref.key}: ${warning}`);
      return true;
    } catch (err) {
      state.issues.push({ key: ref.key, source: settings.get(ref.key)?.source, message: `cannot resolve ${ref.reference}: ${(err as Error).message}` });
      return false;
    }
  });
}

async function resolveReferences(
  all: readonly ConfigReference[],
  settings: RawSettings,
  options: LoadConfigOptions,
  state: ReferenceState,
): Promise<void> {
  const { resolve } = options;
  const references = checkReferences(all, settings, options, state);
  if (!resolve || options.allowUnresolved) {
    for (const ref of references) {
      if (options.allowUnresolved) state.unresolved.add(ref.key);
      else
        state.issues.push({
          key: ref.key,
          source: settings.get(ref.key)?.source,
          message: `${ref.reference} is a vault reference, and this process was started without a vault resolver`,
        });
    }
    return;
  }
  // Vault settings first (e.g. `vault_hcv_token={vault://env/vault-token}`), so the other
  // references see their values.
  const vaultRefs = references.filter((ref) => VAULT_KEY_PATTERN.test(ref.key) && !Object.hasOwn(KEYS, ref.key));
  const otherRefs = references.filter((ref) => !vaultRefs.includes(ref));
  for (const batch of [vaultRefs, otherRefs]) {
    const context = resolveContext(settings, options.env ?? processEnv());
    const results = await Promise.allSettled(batch.map((ref) => resolve(ref, context)));
    results.forEach((result, i) => {
      const ref = batch[i] as ConfigReference;
      const setting = settings.get(ref.key)!;
      if (result.status === 'fulfilled') {
        settings.set(ref.key, { value: result.value, source: setting.source });
        state.resolved.add(ref.key);
      } else {
        const cause = result.reason instanceof Error ? result.reason.message : String(result.reason);
        state.issues.push({ key: ref.key, source: setting.source, message: `cannot resolve ${ref.reference}: ${cause}` });
      }
    });
  }
}

function resolveContext(settings: RawSettings, env: Env): ResolveContext {
  const vaultOptions = Object.fromEntries(
    [...settings].filter(([key, s]) => isVaultOption(key) && !isReference(s.value)).map(([key, s]) => [key, s.value.trim()]),
  );
  const vaults = settings.get('vaults')?.value;
  return Object.freeze({ env, vaultOptions: Object.freeze(vaultOptions), ...(vaults !== undefined && !isReference(vaults) ? { vaults } : {}) });
}

/** A dynamic `vault_<name>_<field>` setting (not one of Keygate's own `vault_*` keys). */
function isVaultOption(key: string): boolean {
  return VAULT_KEY_PATTERN.test(key) && !Object.hasOwn(KEYS, key);
}

function validate(
  settings: RawSettings,
  refs: { resolved: ReadonlySet<string>; unresolved: ReadonlySet<string> },
  issues: ConfigIssue[],
  aws: AwsEnvironment,
): Config | undefined {
  const shape: Record<string, z.ZodType> = {};
  const input: Record<string, string> = {};
  for (const [name, spec] of Object.entries(KEYS) as Array<[ConfigKey, KeySpec<unknown>]>) {
    shape[name] = spec.type.schema.optional();
    const raw = refs.unresolved.has(name) ? undefined : (settings.get(name)?.value ?? spec.default);
    if (raw !== undefined) input[name] = raw;
  }
  const result = z.object(shape).safeParse(input);
  if (!result.success) {
    const seen = new Set<string>();
    for (const issue of result.error.issues) {
      const name = String(issue.path[0]);
      if (seen.has(name)) continue;
      seen.add(name);
      issues.push(describeInvalid(name, input[name] ?? '', settings, refs.resolved.has(name), issue));
    }
    return undefined;
  }
  const data = result.data as Record<string, unknown>;
  // RDS IAM authentication works only over TLS: Kong turns pg_ssl on when it is unset; show it so
  // (`config check`, `GET /`), with the reason as its source.
  if (data.pg_iam_auth === true && !settings.has('pg_ssl')) {
    data.pg_ssl = true;
    settings.set('pg_ssl', { value: 'on', source: { kind: 'override', name: 'on because pg_iam_auth = on' } });
  }
  const vaultOptions = Object.fromEntries([...settings].filter(([key]) => isVaultOption(key)).map(([key, s]) => [key, s.value.trim()]));
  return Object.freeze({ ...data, vault_options: Object.freeze(vaultOptions), aws }) as unknown as Config;
}

function describeInvalid(
  name: string,
  raw: string,
  settings: RawSettings,
  fromReference: boolean,
  issue: z.core.$ZodIssue,
): ConfigIssue {
  const spec = KEYS[name as ConfigKey] as KeySpec<unknown>;
  const shown =
    spec.secret || fromReference
      ? '[REDACTED]'
      : JSON.stringify(spec.type.display ? spec.type.display(raw) : raw.length > 80 ? `${raw.slice(0, 77)}...` : raw);
  const detail = issue.code === 'custom' && issue.message && issue.message !== 'Invalid input' ? ` (${issue.message})` : '';
  const source = settings.get(name)?.source ?? { kind: 'default' as const };
  return { key: name, source, message: `expected ${spec.type.expected}, got ${shown}${detail}` };
}
