import { epochSeconds } from '../time';
import { AwsServiceError } from '../errors';
import type { Filter } from './input';
import type { SecretRecord, SecretVersion } from './store';

/** Pagination tokens are opaque to callers; here they carry the offset of the next item. */
export function page<T>(items: T[], maxResults: number | undefined, nextToken: string | undefined, limit: number): { items: T[]; nextToken?: string } {
  const size = maxResults ?? limit;
  if (!Number.isInteger(size) || size < 1 || size > limit) {
    throw new AwsServiceError('InvalidParameterException', `MaxResults must be between 1 and ${limit}.`);
  }
  let start = 0;
  if (nextToken !== undefined) {
    start = Number(Buffer.from(nextToken, 'base64url').toString('utf8').replace(/^offset:/, ''));
    if (!Number.isInteger(start) || start < 0) throw new AwsServiceError('InvalidNextTokenException', 'The NextToken value is invalid.');
  }
  const end = start + size;
  return {
    items: items.slice(start, end),
    nextToken: end < items.length ? Buffer.from(`offset:${end}`).toString('base64url') : undefined,
  };
}

/** ListSecrets/BatchGetSecretValue filters: prefix matches, a leading `!` negates. */
export function matches(secret: SecretRecord, list: Filter[] | undefined): boolean {
  return (list ?? []).every((filter) =>
    filter.Values.some((raw) => {
      const negate = raw.startsWith('!');
      const prefix = negate ? raw.slice(1) : raw;
      const hit = fieldsFor(secret, filter.Key).some((field) => field.startsWith(prefix));
      return negate ? !hit : hit;
    }),
  );
}

function fieldsFor(secret: SecretRecord, key: string): string[] {
  const tagKeys = secret.tags.map((t) => t.Key);
  const tagValues = secret.tags.map((t) => t.Value);
  switch (key) {
    case 'name':
      return [secret.name];
    case 'description':
      return secret.description ? [secret.description] : [];
    case 'tag-key':
      return tagKeys;
    case 'tag-value':
      return tagValues;
    case 'all':
      return [secret.name, ...(secret.description ? [secret.description] : []), ...tagKeys, ...tagValues];
    default:
      throw new AwsServiceError('InvalidParameterException', `Invalid filter key: ${key}`);
  }
}

export function versionsToStages(secret: SecretRecord): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const version of secret.versions.values()) {
    if (version.stages.size > 0) out[version.versionId] = [...version.stages];
  }
  return out;
}

export function describeShape(secret: SecretRecord): Record<string, unknown> {
  return {
    ARN: secret.arn,
    Name: secret.name,
    Description: secret.description,
    KmsKeyId: secret.kmsKeyId,
    RotationEnabled: false,
    LastChangedDate: epochSeconds(secret.lastChangedDate),
    LastAccessedDate: secret.lastAccessedDate ? epochSeconds(secret.lastAccessedDate) : undefined,
    DeletedDate: secret.deletionDate ? epochSeconds(secret.deletionDate) : undefined,
    Tags: secret.tags.length > 0 ? secret.tags : undefined,
    VersionIdsToStages: versionsToStages(secret),
    CreatedDate: epochSeconds(secret.createdDate),
  };
}

export function listEntryShape(secret: SecretRecord): Record<string, unknown> {
  const { VersionIdsToStages, RotationEnabled: _rotation, ...rest } = describeShape(secret);
  return { ...rest, SecretVersionsToStages: VersionIdsToStages };
}

export function valueShape(secret: SecretRecord, version: SecretVersion): Record<string, unknown> {
  return {
    ARN: secret.arn,
    Name: secret.name,
    VersionId: version.versionId,
    SecretString: version.value.string,
    SecretBinary: version.value.binary?.toString('base64'),
    VersionStages: [...version.stages],
    CreatedDate: epochSeconds(version.createdDate),
  };
}
