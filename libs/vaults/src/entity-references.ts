import type { Secret } from '@keygate/crypto';
import type { Logger } from '@keygate/logging';
import { isReference } from './reference';
import { LogOnce } from './log-once';

export interface ReferenceFailure {
  /** Dotted path of the field (`config.token`). */
  readonly path: string;
  readonly reference: string;
  readonly message: string;
}

export type ResolvedEntity<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failures: readonly ReferenceFailure[] };

/** Every `{vault://...}` string inside a value (an entity, a plugin's config), with its path. */
export function findReferences(value: unknown, path = ''): Array<{ readonly path: string; readonly reference: string }> {
  if (isReference(value)) return [{ path, reference: value }];
  if (Array.isArray(value)) return value.flatMap((item, i) => findReferences(item, path ? `${path}.${i}` : String(i)));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => findReferences(v, path ? `${path}.${k}` : k));
  return [];
}

/**
 * Resolves the references inside entities for the node that applies them (a proxy loading
 * plugin configs through the vault-resolver): each entity gets a copy with values in place of
 * references, or its failures. One bad reference fails only its own entity, and logs once per
 * interval however often the entity is applied.
 */
export class EntityReferenceResolver {
  readonly #logOnce: LogOnce;

  constructor(
    private readonly options: {
      readonly resolve: (reference: string) => Promise<Secret<string>>;
      readonly logger: Logger;
      /** `vault_rotation_interval`. @defaultValue 60000 */
      readonly intervalMs?: number;
      readonly now?: () => number;
    },
  ) {
    this.#logOnce = new LogOnce(options.intervalMs ?? 60_000, options.now);
  }

  /** `label` names the entity in the log (`plugins 6375b5fd-...`). */
  async resolve<T>(value: T, label: string): Promise<ResolvedEntity<T>> {
    const found = findReferences(value);
    if (found.length === 0) return { ok: true, value };
    const outcomes = await Promise.all(
      found.map(async (f) => {
        try {
          return { ...f, value: (await this.options.resolve(f.reference)).reveal() };
        } catch (err) {
          return { ...f, message: (err as Error).message };
        }
      }),
    );
    const failures = outcomes.filter((o): o is typeof o & { message: string } => 'message' in o).map(({ path, reference, message }) => ({ path, reference, message }));
    if (failures.length > 0) {
      if (this.#logOnce.allow(`${label}:${failures.map((f) => f.reference).join(',')}`)) {
        this.options.logger.error({ entity: label, failures }, 'cannot resolve vault references of this entity; it is not applied (other entities are)');
      }
      return { ok: false, failures };
    }
    const copy = structuredClone(value) as unknown;
    for (const outcome of outcomes) if ('value' in outcome) setPath(copy, outcome.path, outcome.value);
    return { ok: true, value: copy as T };
  }
}

function setPath(target: unknown, path: string, value: string): void {
  const parts = path.split('.');
  let node = target as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
  node[parts[parts.length - 1]!] = value;
}
