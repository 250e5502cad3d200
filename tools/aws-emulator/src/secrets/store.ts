import { randomUUID } from 'node:crypto';
import type { Clock } from '@keygate/tool-kit';
import { AwsServiceError } from '../errors';
import { arnSuffix } from '../ids';

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPREVIOUS = 'AWSPREVIOUS';

export interface SecretValue {
  readonly string?: string;
  readonly binary?: Buffer;
}

export interface SecretVersion {
  readonly versionId: string;
  readonly value: SecretValue;
  readonly createdDate: Date;
  readonly stages: Set<string>;
}

export interface Tag {
  readonly Key: string;
  readonly Value: string;
}

export interface SecretRecord {
  readonly arn: string;
  readonly name: string;
  readonly createdDate: Date;
  /** Creation order, to list secrets created in the same millisecond in a stable order. */
  readonly sequence: number;
  description?: string;
  kmsKeyId?: string;
  tags: Tag[];
  lastChangedDate: Date;
  lastAccessedDate?: Date;
  /** Set while the secret is scheduled for deletion: when it will be gone for good. */
  deletionDate?: Date;
  readonly versions: Map<string, SecretVersion>;
}

export const MESSAGES = {
  notFound: "Secrets Manager can't find the specified secret.",
  markedForDeletion: "You can't perform this operation on the secret because it was marked for deletion.",
  versionExists: "You can't modify an existing version, you can only create a new version.",
} as const;

// AWS keeps at most about 100 versions; versions without a staging label are dropped first.
const MAX_VERSIONS = 100;

export interface StoreOptions {
  readonly region: string;
  readonly accountId: string;
  readonly clock: Clock;
}

/**
 * Secrets Manager's state: secrets by name, their versions and staging labels, scheduled
 * deletion. Semantics (label moves, idempotent version tokens, error texts) follow AWS.
 */
export class SecretsStore {
  private readonly secrets = new Map<string, SecretRecord>();
  private sequence = 0;

  constructor(private readonly options: StoreOptions) {}

  create(input: {
    name: string;
    token?: string;
    value?: SecretValue;
    description?: string;
    kmsKeyId?: string;
    tags?: Tag[];
  }): { secret: SecretRecord; version?: SecretVersion } {
    this.purge();
    const existing = this.secrets.get(input.name);
    if (existing?.deletionDate) {
      throw new AwsServiceError('InvalidRequestException', "You can't create this secret because a secret with this name is already scheduled for deletion.");
    }
    if (existing) {
      // A retry of the same request (same token, same value) succeeds without a change.
      const retried = input.token !== undefined ? existing.versions.get(input.token) : undefined;
      if (retried && input.value && sameValue(retried.value, input.value)) return { secret: existing, version: retried };
      throw new AwsServiceError('ResourceExistsException', `The operation failed because the secret ${input.name} already exists.`);
    }
    const now = this.options.clock.now();
    const secret: SecretRecord = {
      arn: `arn:aws:secretsmanager:${this.options.region}:${this.options.accountId}:secret:${input.name}-${arnSuffix()}`,
      name: input.name,
      createdDate: now,
      sequence: (this.sequence += 1),
      description: input.description,
      kmsKeyId: input.kmsKeyId,
      tags: input.tags ?? [],
      lastChangedDate: now,
      versions: new Map(),
    };
    this.secrets.set(secret.name, secret);
    const version = input.value ? this.addVersion(secret, input.token, input.value, [AWSCURRENT]) : undefined;
    return { secret, version };
  }

  /** The secret named by `secretId`: its name, its full ARN, or its ARN without the random suffix. */
  find(secretId: string, options: { allowDeleted?: boolean } = {}): SecretRecord {
    this.purge();
    const secret = secretId.startsWith('arn:')
      ? [...this.secrets.values()].find((s) => s.arn === secretId || s.arn.slice(0, -7) === secretId)
      : this.secrets.get(secretId);
    if (!secret) throw new AwsServiceError('ResourceNotFoundException', MESSAGES.notFound);
    if (secret.deletionDate && !options.allowDeleted) throw new AwsServiceError('InvalidRequestException', MESSAGES.markedForDeletion);
    return secret;
  }

  all(): SecretRecord[] {
    this.purge();
    return [...this.secrets.values()];
  }

  putValue(secretId: string, input: { token?: string; value: SecretValue; stages?: string[] }): { secret: SecretRecord; version: SecretVersion } {
    const secret = this.find(secretId);
    return { secret, version: this.addVersion(secret, input.token, input.value, input.stages ?? [AWSCURRENT]) };
  }

  update(
    secretId: string,
    input: { token?: string; value?: SecretValue; description?: string; kmsKeyId?: string },
  ): { secret: SecretRecord; version?: SecretVersion } {
    const secret = this.find(secretId);
    if (input.description !== undefined) secret.description = input.description;
    if (input.kmsKeyId !== undefined) secret.kmsKeyId = input.kmsKeyId;
    secret.lastChangedDate = this.options.clock.now();
    const version = input.value ? this.addVersion(secret, input.token, input.value, [AWSCURRENT]) : undefined;
    return { secret, version };
  }

  getValue(secretId: string, input: { versionId?: string; stage?: string }): { secret: SecretRecord; version: SecretVersion } {
    const secret = this.find(secretId);
    const version = this.versionOf(secret, input.versionId, input.stage ?? (input.versionId ? undefined : AWSCURRENT));
    const now = this.options.clock.now();
    // AWS records the day of last access, not the time.
    secret.lastAccessedDate = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    return { secret, version };
  }

  scheduleDeletion(secretId: string, input: { recoveryWindowDays?: number; force?: boolean }): { secret: SecretRecord; deletionDate: Date } {
    if (input.force && input.recoveryWindowDays !== undefined) {
      throw new AwsServiceError('InvalidParameterException', "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
    }
    const days = input.recoveryWindowDays ?? 30;
    if (!Number.isInteger(days) || days < 7 || days > 30) {
      throw new AwsServiceError('InvalidParameterException', 'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
    }
    const secret = this.find(secretId, { allowDeleted: input.force });
    const now = this.options.clock.now();
    if (input.force) {
      this.secrets.delete(secret.name);
      return { secret, deletionDate: now };
    }
    secret.deletionDate = new Date(now.getTime() + days * 86400 * 1000);
    return { secret, deletionDate: secret.deletionDate };
  }

  restore(secretId: string): SecretRecord {
    const secret = this.find(secretId, { allowDeleted: true });
    secret.deletionDate = undefined;
    return secret;
  }

  /** UpdateSecretVersionStage: moves or removes one staging label, with AWS's safety checks. */
  moveStage(secretId: string, stage: string, input: { removeFrom?: string; moveTo?: string }): SecretRecord {
    const secret = this.find(secretId);
    const holder = [...secret.versions.values()].find((v) => v.stages.has(stage));
    if (input.moveTo !== undefined) {
      const target = this.versionOf(secret, input.moveTo, undefined);
      if (holder && holder !== target && input.removeFrom !== holder.versionId) {
        throw new AwsServiceError(
          'InvalidParameterException',
          `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
        );
      }
      attach(secret, stage, target);
    } else if (input.removeFrom !== undefined) {
      const source = this.versionOf(secret, input.removeFrom, undefined);
      if (!source.stages.has(stage)) {
        throw new AwsServiceError('InvalidParameterException', `The staging label ${stage} isn't attached to version ${input.removeFrom}.`);
      }
      if (stage === AWSCURRENT) {
        throw new AwsServiceError('InvalidParameterException', `You can only move staging label ${AWSCURRENT} to a different secret version. It can't be completely removed.`);
      }
      source.stages.delete(stage);
    } else {
      throw new AwsServiceError('InvalidParameterException', 'You must specify RemoveFromVersionId, MoveToVersionId, or both.');
    }
    secret.lastChangedDate = this.options.clock.now();
    return secret;
  }

  private versionOf(secret: SecretRecord, versionId: string | undefined, stage: string | undefined): SecretVersion {
    if (versionId !== undefined) {
      const version = secret.versions.get(versionId);
      if (!version) throw new AwsServiceError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`);
      if (stage !== undefined && !version.stages.has(stage)) {
        throw new AwsServiceError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for staging label: ${stage}`);
      }
      return version;
    }
    const label = stage ?? AWSCURRENT;
    const version = [...secret.versions.values()].find((v) => v.stages.has(label));
    if (!version) throw new AwsServiceError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for staging label: ${label}`);
    return version;
  }

  private addVersion(secret: SecretRecord, token: string | undefined, value: SecretValue, stages: string[]): SecretVersion {
    const versionId = token ?? randomUUID();
    const existing = secret.versions.get(versionId);
    if (existing) {
      if (sameValue(existing.value, value)) return existing;
      throw new AwsServiceError('ResourceExistsException', MESSAGES.versionExists);
    }
    const now = this.options.clock.now();
    const version: SecretVersion = { versionId, value, createdDate: now, stages: new Set() };
    secret.versions.set(versionId, version);
    for (const stage of stages) attach(secret, stage, version);
    secret.lastChangedDate = now;
    for (const old of secret.versions.values()) {
      if (secret.versions.size <= MAX_VERSIONS) break;
      if (old.stages.size === 0) secret.versions.delete(old.versionId);
    }
    return version;
  }

  private purge(): void {
    const now = this.options.clock.now().getTime();
    for (const [name, secret] of this.secrets) {
      if (secret.deletionDate && secret.deletionDate.getTime() <= now) this.secrets.delete(name);
    }
  }
}

/** Puts a label on `target`, taking it from whichever version had it; AWSCURRENT's old holder becomes AWSPREVIOUS. */
function attach(secret: SecretRecord, stage: string, target: SecretVersion): void {
  const holder = [...secret.versions.values()].find((v) => v.stages.has(stage));
  if (holder === target) return;
  holder?.stages.delete(stage);
  target.stages.add(stage);
  if (stage === AWSCURRENT && holder) attach(secret, AWSPREVIOUS, holder);
}

function sameValue(a: SecretValue, b: SecretValue): boolean {
  const binaryEqual = a.binary && b.binary ? a.binary.equals(b.binary) : a.binary === b.binary;
  return a.string === b.string && binaryEqual;
}
