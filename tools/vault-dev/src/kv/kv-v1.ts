import { VaultError, noContent, notFound, ok, type VaultReply } from '../envelope';
import { listKeys, type EngineRequest, type SecretsEngine } from './engine';

// KV v1 answers reads with the mount's default lease of 768 hours, though nothing is leased.
const KV_V1_LEASE_SECONDS = 2764800;

/** KV version 1: one unversioned JSON object per path. */
export class KvV1Engine implements SecretsEngine {
  readonly type = 'kv';
  readonly version = 1;
  private readonly entries = new Map<string, Record<string, unknown>>();

  handle(request: EngineRequest): VaultReply {
    const path = request.path.replace(/\/+$/, '');
    switch (request.method) {
      case 'LIST': {
        const keys = listKeys(this.entries.keys(), request.path);
        if (keys.length === 0) throw notFound();
        return ok({ data: { keys }, mount_type: 'kv' });
      }
      case 'GET': {
        const data = this.entries.get(path);
        if (!data) throw notFound();
        return ok({ data, lease_duration: KV_V1_LEASE_SECONDS, mount_type: 'kv' });
      }
      case 'POST':
      case 'PUT':
        if (path === '') throw new VaultError(405, ['unsupported operation']);
        this.put(path, request.body);
        return noContent();
      case 'DELETE':
        this.entries.delete(path);
        return noContent();
      default:
        throw new VaultError(405, ['unsupported operation']);
    }
  }

  put(path: string, data: Record<string, unknown>): void {
    this.entries.set(path, { ...data });
  }

  get(path: string): Record<string, unknown> | undefined {
    return this.entries.get(path);
  }
}
