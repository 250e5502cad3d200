import { parseCount, parseDuration } from '../duration';
import { VaultError, badRequest, envelope, noContent, notFound, ok, type VaultReply } from '../envelope';
import { isObject, listKeys, type EngineRequest, type SecretsEngine } from './engine';
import {
  addVersion,
  isLive,
  mergePatch,
  newSecret,
  secretMetadata,
  versionList,
  versionMetadata,
  type Kv2Config,
  type Kv2Secret,
} from './v2-store';

const INVALID_PATH_WARNING =
  "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation.";

const unsupported = (): VaultError => new VaultError(405, ['unsupported operation']);

/** KV version 2: versioned secrets under `data/`, `metadata/`, `delete/`, `undelete/`, `destroy/`. */
export class KvV2Engine implements SecretsEngine {
  readonly type = 'kv';
  readonly version = 2;
  private readonly secrets = new Map<string, Kv2Secret>();
  private readonly config: Kv2Config = { maxVersions: 0, casRequired: false, deleteVersionAfter: '0s' };

  handle(request: EngineRequest): VaultReply {
    const slash = request.path.indexOf('/');
    const area = slash === -1 ? request.path : request.path.slice(0, slash);
    const key = slash === -1 ? '' : request.path.slice(slash + 1);
    switch (area) {
      case 'data':
        return this.data(request, key.replace(/\/+$/, ''));
      case 'metadata':
        return this.metadata(request, key);
      case 'delete':
      case 'undelete':
      case 'destroy':
        if (request.method !== 'POST' && request.method !== 'PUT') throw unsupported();
        this.changeVersions(area, key, versionList(request.body), request.now);
        return noContent();
      case 'config':
        return this.configure(request);
      default:
        // What Vault answers when a KV v1 path is used on a v2 mount.
        return { status: 404, body: envelope({ warnings: [INVALID_PATH_WARNING] }) };
    }
  }

  /** Writes a new version (test helper and the POST handler share it). */
  put(key: string, data: Record<string, unknown>, cas: number | undefined, now: Date): Record<string, unknown> {
    const secret = this.secrets.get(key) ?? newSecret(now);
    const number = addVersion(secret, data, cas, this.config, now);
    this.secrets.set(key, secret);
    return versionMetadata(number, secret.versions.get(number)!, secret);
  }

  private data(request: EngineRequest, key: string): VaultReply {
    if (key === '') throw notFound();
    switch (request.method) {
      case 'GET':
        return this.read(key, request.query, request.now);
      case 'POST':
      case 'PUT': {
        if (!isObject(request.body['data'])) throw badRequest('no data provided');
        return ok({ data: this.put(key, request.body['data'], casOf(request.body), request.now), mount_type: 'kv' });
      }
      case 'PATCH': {
        const secret = this.secrets.get(key);
        const current = secret?.versions.get(secret.currentVersion);
        if (!secret || !current || !isLive(current, request.now)) throw notFound();
        if (!isObject(request.body['data'])) throw badRequest('no data provided');
        const merged = mergePatch(current.data ?? {}, request.body['data']);
        return ok({ data: this.put(key, merged, casOf(request.body), request.now), mount_type: 'kv' });
      }
      case 'DELETE': {
        const secret = this.secrets.get(key);
        if (secret && secret.currentVersion > 0) this.changeVersions('delete', key, [secret.currentVersion], request.now);
        return noContent();
      }
      default:
        throw unsupported();
    }
  }

  private read(key: string, query: URLSearchParams, now: Date): VaultReply {
    const secret = this.secrets.get(key);
    const raw = query.get('version');
    const asked = raw === null || raw === '' ? 0 : Number(raw);
    if (!Number.isInteger(asked) || asked < 0) throw badRequest(`invalid version: ${raw ?? ''}`);
    const number = asked === 0 ? (secret?.currentVersion ?? 0) : asked;
    const version = secret?.versions.get(number);
    if (!secret || !version) throw notFound();
    const metadata = versionMetadata(number, version, secret);
    // A deleted or destroyed version is a 404 that still carries its metadata.
    if (!isLive(version, now)) return { status: 404, body: envelope({ data: { data: null, metadata }, mount_type: 'kv' }) };
    return ok({ data: { data: version.data, metadata }, mount_type: 'kv' });
  }

  private metadata(request: EngineRequest, key: string): VaultReply {
    if (request.method === 'LIST') {
      const keys = listKeys(this.secrets.keys(), key);
      if (keys.length === 0) throw notFound();
      return ok({ data: { keys }, mount_type: 'kv' });
    }
    const name = key.replace(/\/+$/, '');
    if (name === '') throw notFound();
    switch (request.method) {
      case 'GET': {
        const secret = this.secrets.get(name);
        if (!secret) throw notFound();
        return ok({ data: secretMetadata(secret), mount_type: 'kv' });
      }
      case 'POST':
      case 'PUT': {
        const secret = this.secrets.get(name) ?? newSecret(request.now);
        applySettings(secret, request.body);
        this.secrets.set(name, secret);
        return noContent();
      }
      case 'DELETE':
        this.secrets.delete(name);
        return noContent();
      default:
        throw unsupported();
    }
  }

  private changeVersions(action: 'delete' | 'undelete' | 'destroy', key: string, numbers: number[], now: Date): void {
    const secret = this.secrets.get(key.replace(/\/+$/, ''));
    for (const number of numbers) {
      const version = secret?.versions.get(number);
      if (!version || version.destroyed) continue;
      if (action === 'delete') version.deletionTime ??= now;
      if (action === 'undelete') version.deletionTime = undefined;
      if (action === 'destroy') {
        version.destroyed = true;
        version.data = null;
      }
    }
  }

  private configure(request: EngineRequest): VaultReply {
    if (request.method === 'GET') {
      return ok({
        data: { cas_required: this.config.casRequired, delete_version_after: this.config.deleteVersionAfter, max_versions: this.config.maxVersions },
        mount_type: 'kv',
      });
    }
    if (request.method !== 'POST' && request.method !== 'PUT') throw unsupported();
    const body = request.body;
    if (body['max_versions'] !== undefined) this.config.maxVersions = parseCount(body['max_versions'], 'max_versions');
    if (body['cas_required'] !== undefined) this.config.casRequired = body['cas_required'] === true;
    if (body['delete_version_after'] !== undefined) this.config.deleteVersionAfter = `${parseDuration(body['delete_version_after'], 'delete_version_after')}s`;
    return noContent();
  }
}

function casOf(body: Record<string, unknown>): number | undefined {
  const options = body['options'];
  if (!isObject(options) || options['cas'] === undefined) return undefined;
  const cas = Number(options['cas']);
  if (!Number.isInteger(cas) || cas < 0) throw badRequest(`invalid cas: ${JSON.stringify(options['cas'])}`);
  return cas;
}

function applySettings(secret: Kv2Secret, body: Record<string, unknown>): void {
  if (body['max_versions'] !== undefined) secret.maxVersions = parseCount(body['max_versions'], 'max_versions');
  if (body['cas_required'] !== undefined) secret.casRequired = body['cas_required'] === true;
  if (body['delete_version_after'] !== undefined) secret.deleteVersionAfter = `${parseDuration(body['delete_version_after'], 'delete_version_after')}s`;
  const custom = body['custom_metadata'];
  if (custom !== undefined) {
    if (custom !== null && (!isObject(custom) || Object.values(custom).some((v) => typeof v !== 'string'))) {
      throw badRequest('custom_metadata must be a map of strings');
    }
    secret.customMetadata = custom as Record<string, string> | null;
  }
}
