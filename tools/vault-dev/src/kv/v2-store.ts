import { badRequest, vaultTime } from '../envelope';

export interface Kv2Version {
  data: Record<string, unknown> | null;
  readonly createdTime: Date;
  deletionTime?: Date;
  destroyed: boolean;
}

export interface Kv2Secret {
  readonly createdTime: Date;
  updatedTime: Date;
  currentVersion: number;
  /** 0 until old versions are trimmed, as in Vault. */
  oldestVersion: number;
  maxVersions: number;
  casRequired: boolean;
  deleteVersionAfter: string;
  customMetadata: Record<string, string> | null;
  readonly versions: Map<number, Kv2Version>;
}

export interface Kv2Config {
  maxVersions: number;
  casRequired: boolean;
  deleteVersionAfter: string;
}

// Vault keeps 10 versions when neither the key nor the mount sets max_versions.
const DEFAULT_MAX_VERSIONS = 10;

export function isLive(version: Kv2Version, now: Date): boolean {
  return !version.destroyed && !(version.deletionTime && version.deletionTime.getTime() <= now.getTime());
}

export function versionMetadata(number: number, version: Kv2Version, secret: Kv2Secret): Record<string, unknown> {
  return {
    created_time: vaultTime(version.createdTime),
    custom_metadata: secret.customMetadata,
    deletion_time: version.deletionTime ? vaultTime(version.deletionTime) : '',
    destroyed: version.destroyed,
    version: number,
  };
}

export function secretMetadata(secret: Kv2Secret): Record<string, unknown> {
  const versions: Record<string, unknown> = {};
  for (const [number, version] of secret.versions) {
    versions[String(number)] = {
      created_time: vaultTime(version.createdTime),
      deletion_time: version.deletionTime ? vaultTime(version.deletionTime) : '',
      destroyed: version.destroyed,
    };
  }
  return {
    cas_required: secret.casRequired,
    created_time: vaultTime(secret.createdTime),
    current_version: secret.currentVersion,
    custom_metadata: secret.customMetadata,
    delete_version_after: secret.deleteVersionAfter,
    max_versions: secret.maxVersions,
    oldest_version: secret.oldestVersion,
    updated_time: vaultTime(secret.updatedTime),
    versions,
  };
}

export function newSecret(now: Date): Kv2Secret {
  return {
    createdTime: now,
    updatedTime: now,
    currentVersion: 0,
    oldestVersion: 0,
    maxVersions: 0,
    casRequired: false,
    deleteVersionAfter: '0s',
    customMetadata: null,
    versions: new Map(),
  };
}

/** Adds a version under Vault's check-and-set rules and drops versions beyond max_versions. */
export function addVersion(secret: Kv2Secret, data: Record<string, unknown>, cas: number | undefined, config: Kv2Config, now: Date): number {
  if ((config.casRequired || secret.casRequired) && cas === undefined) throw badRequest('check-and-set parameter required for this call');
  if (cas !== undefined && cas !== secret.currentVersion) throw badRequest('check-and-set parameter did not match the current version');
  const number = secret.currentVersion + 1;
  secret.versions.set(number, { data: { ...data }, createdTime: now, destroyed: false });
  secret.currentVersion = number;
  secret.updatedTime = now;
  const max = secret.maxVersions || config.maxVersions || DEFAULT_MAX_VERSIONS;
  while (secret.versions.size > max) {
    const oldest = Math.min(...secret.versions.keys());
    secret.versions.delete(oldest);
    secret.oldestVersion = Math.min(...secret.versions.keys());
  }
  return number;
}

/** `{"versions": [1, 2]}` in delete/undelete/destroy bodies. */
export function versionList(body: Record<string, unknown>): number[] {
  const raw = body['versions'];
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : raw === undefined ? [] : [raw];
  const numbers = list.map((v) => Number(v));
  if (numbers.length === 0) throw badRequest('no version number provided');
  if (numbers.some((n) => !Number.isInteger(n) || n < 0)) throw badRequest(`invalid versions: ${JSON.stringify(raw)}`);
  return numbers;
}

/** RFC 7386 JSON merge patch, as KV v2's PATCH applies it: null removes a key. */
export function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (typeof value === 'object' && !Array.isArray(value) && typeof out[key] === 'object' && out[key] !== null && !Array.isArray(out[key])) {
      out[key] = mergePatch(out[key] as Record<string, unknown>, value as Record<string, unknown>);
    } else out[key] = value;
  }
  return out;
}
