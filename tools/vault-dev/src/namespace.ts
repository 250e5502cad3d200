import type { SecretsEngine } from './kv/engine';
import { KvV1Engine } from './kv/kv-v1';
import { KvV2Engine } from './kv/kv-v2';

export interface MountOption {
  /** Mount path without slashes at the ends, e.g. `secret` or `team/kv`. */
  readonly path: string;
  readonly version: 1 | 2;
}

/** Vault dev mode mounts KV v2 at `secret/`. */
export const DEFAULT_MOUNTS: readonly MountOption[] = [{ path: 'secret', version: 2 }];

export function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

/** One namespace's storage: its own secrets engines at the configured mount paths. */
export class Namespace {
  readonly mounts = new Map<string, SecretsEngine>();

  constructor(
    readonly name: string,
    mounts: readonly MountOption[],
  ) {
    for (const mount of mounts) this.mounts.set(trimSlashes(mount.path), mount.version === 2 ? new KvV2Engine() : new KvV1Engine());
  }

  /** The mount serving `path` (the longest mount path it starts with) and the path inside it. */
  resolve(path: string): { mount: string; engine: SecretsEngine; rest: string } | undefined {
    let best: string | undefined;
    for (const mount of this.mounts.keys()) {
      if ((path === mount || path.startsWith(`${mount}/`)) && (best === undefined || mount.length > best.length)) best = mount;
    }
    if (best === undefined) return undefined;
    return { mount: best, engine: this.mounts.get(best)!, rest: path.slice(best.length + 1) };
  }

  engine(mount: string): SecretsEngine {
    const engine = this.mounts.get(trimSlashes(mount));
    if (!engine) throw new Error(`no mount '${mount}' in namespace '${this.name}'`);
    return engine;
  }
}
