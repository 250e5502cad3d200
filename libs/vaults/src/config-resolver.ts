import { awsEnvironment, type ConfigReference, type ReferenceResolver, type ResolveContext } from '@keygate/config';
import { VaultSchemaRegistry } from '@keygate/entities';
import { silentLogger, type Logger } from '@keygate/logging';
import type { BackendContext, VaultBackend } from './backends/backend';
import { BUNDLED_BACKENDS, loadedBackends } from './backends';
import { InvalidReferenceError, VaultError } from './errors';
import { parseReference } from './reference';
import { SecretResolver } from './resolver';

export interface ConfigReferencesOptions {
  /** @defaultValue the bundled backends (env, aws, hcv) */
  readonly backends?: readonly VaultBackend[];
  /** Per backend call. @defaultValue 5000 */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

/**
 * The `ReferenceResolver` every process hands to `loadConfig` (through `runApp`, and the CLI's
 * migrations and cluster commands): resolves `{vault://...}` settings in-process before the
 * database connects, with the backends the `vaults` setting loads and the `vault_*` settings.
 * `pg_user` and `pg_password` from one secret cost one backend call. A reference with a TTL stays
 * live: `loaded.live('pg_password')` gives its current value, re-read once the TTL passed (the
 * last good value while the backend fails), so new database connections use a rotated password.
 */
export function vaultReferences(options: ConfigReferencesOptions = {}): ReferenceResolver {
  let state: { resolver: SecretResolver; context: ResolveContext } | undefined;
  const sink = { logger: silentLogger() };

  const create = (context: ResolveContext) => {
    const vaults = context.vaults?.split(',').map((v) => v.trim()).filter((v) => v !== '') ?? ['bundled'];
    const backendContext: BackendContext = {
      env: context.env,
      aws: awsEnvironment(context.env),
      // Read on each use: the node's logger arrives after the configuration is loaded.
      get logger() {
        return sink.logger;
      },
      timeoutMs: options.timeoutMs ?? 5000,
    };
    const resolver = new SecretResolver({
      backends: loadedBackends(new VaultSchemaRegistry(vaults), options.backends ?? BUNDLED_BACKENDS),
      vaultOptions: context.vaultOptions,
      context: backendContext,
      ...(options.now ? { now: options.now } : {}),
    });
    return { resolver, context };
  };

  const resolve = async (ref: ConfigReference, context: ResolveContext): Promise<string> => {
    try {
      // loadConfig resolves `vault_*` settings first, then the rest with their values.
      if (state?.context !== context) state = create(context);
      return (await state.resolver.resolve(ref.reference)).value.reveal();
    } catch (err) {
      // loadConfig names the key and the reference; Kong's bracketed copy of it would repeat it.
      if (err instanceof InvalidReferenceError) throw new VaultError(err.code, err.reason);
      throw err;
    }
  };

  const live = (ref: ConfigReference, logger?: unknown): (() => Promise<string>) | undefined => {
    const current = state;
    if (!current || current.resolver.ttlOf(ref.reference) === undefined) return undefined;
    if (logger) sink.logger = (logger as Logger).child({ component: 'vaults' });
    return async () => (await current.resolver.resolve(ref.reference)).value.reveal();
  };

  /** Parses without reading; an option the named bundled vault does not know is a warning. */
  const check = (ref: ConfigReference): string[] => {
    let parsed;
    try {
      parsed = parseReference(ref.reference);
    } catch (err) {
      if (err instanceof InvalidReferenceError) throw new VaultError(err.code, err.reason);
      throw err;
    }
    const backend = (options.backends ?? BUNDLED_BACKENDS).find((b) => b.schema.name === parsed.name);
    if (!backend) return [];
    const known = Object.keys(backend.schema.config.shape);
    return Object.keys(parsed.options)
      .filter((option) => !known.includes(option))
      .map((option) => `${ref.reference}: ${option} is not a ${parsed.name} vault setting (known: ${known.join(', ')}); ignored`);
  };

  return Object.assign(resolve, { live, check });
}
