import { epochSeconds } from '../time';
import { AwsServiceError } from '../errors';
import {
  clientRequestToken,
  filters,
  optionalBoolean,
  optionalNumber,
  optionalString,
  optionalStringList,
  requiredString,
  secretName,
  secretValue,
  tags,
  type Input,
} from './input';
import { describeShape, listEntryShape, matches, page, valueShape } from './listing';
import type { SecretsStore } from './store';

type Operation = (store: SecretsStore, input: Input) => Record<string, unknown>;

/** Secrets Manager operations by `X-Amz-Target` name (`secretsmanager.<Name>`). */
export const OPERATIONS: Readonly<Record<string, Operation>> = {
  CreateSecret(store, input) {
    const { secret, version } = store.create({
      name: secretName(input),
      token: clientRequestToken(input),
      value: secretValue(input, false),
      description: optionalString(input, 'Description'),
      kmsKeyId: optionalString(input, 'KmsKeyId'),
      tags: tags(input),
    });
    return { ARN: secret.arn, Name: secret.name, VersionId: version?.versionId };
  },

  PutSecretValue(store, input) {
    const { secret, version } = store.putValue(requiredString(input, 'SecretId'), {
      token: clientRequestToken(input),
      value: secretValue(input, true)!,
      stages: optionalStringList(input, 'VersionStages'),
    });
    return { ARN: secret.arn, Name: secret.name, VersionId: version.versionId, VersionStages: [...version.stages] };
  },

  UpdateSecret(store, input) {
    const { secret, version } = store.update(requiredString(input, 'SecretId'), {
      token: clientRequestToken(input),
      value: secretValue(input, false),
      description: optionalString(input, 'Description'),
      kmsKeyId: optionalString(input, 'KmsKeyId'),
    });
    return { ARN: secret.arn, Name: secret.name, VersionId: version?.versionId };
  },

  GetSecretValue(store, input) {
    const { secret, version } = store.getValue(requiredString(input, 'SecretId'), {
      versionId: optionalString(input, 'VersionId'),
      stage: optionalString(input, 'VersionStage'),
    });
    return valueShape(secret, version);
  },

  DescribeSecret(store, input) {
    return describeShape(store.find(requiredString(input, 'SecretId'), { allowDeleted: true }));
  },

  ListSecrets(store, input) {
    const includeDeleted = optionalBoolean(input, 'IncludePlannedDeletion') ?? false;
    const descending = (optionalString(input, 'SortOrder') ?? 'desc') === 'desc';
    const selected = store
      .all()
      .filter((secret) => (includeDeleted || !secret.deletionDate) && matches(secret, filters(input)))
      .sort((a, b) => (a.createdDate.getTime() - b.createdDate.getTime() || a.sequence - b.sequence) * (descending ? -1 : 1));
    const result = page(selected, optionalNumber(input, 'MaxResults'), optionalString(input, 'NextToken'), 100);
    return { SecretList: result.items.map(listEntryShape), NextToken: result.nextToken };
  },

  ListSecretVersionIds(store, input) {
    const secret = store.find(requiredString(input, 'SecretId'));
    const includeDeprecated = optionalBoolean(input, 'IncludeDeprecated') ?? false;
    const versions = [...secret.versions.values()].filter((v) => includeDeprecated || v.stages.size > 0);
    const result = page(versions, optionalNumber(input, 'MaxResults'), optionalString(input, 'NextToken'), 100);
    return {
      ARN: secret.arn,
      Name: secret.name,
      Versions: result.items.map((v) => ({ VersionId: v.versionId, VersionStages: [...v.stages], CreatedDate: epochSeconds(v.createdDate) })),
      NextToken: result.nextToken,
    };
  },

  DeleteSecret(store, input) {
    const { secret, deletionDate } = store.scheduleDeletion(requiredString(input, 'SecretId'), {
      recoveryWindowDays: optionalNumber(input, 'RecoveryWindowInDays'),
      force: optionalBoolean(input, 'ForceDeleteWithoutRecovery'),
    });
    return { ARN: secret.arn, Name: secret.name, DeletionDate: epochSeconds(deletionDate) };
  },

  RestoreSecret(store, input) {
    const secret = store.restore(requiredString(input, 'SecretId'));
    return { ARN: secret.arn, Name: secret.name };
  },

  UpdateSecretVersionStage(store, input) {
    const secret = store.moveStage(requiredString(input, 'SecretId'), requiredString(input, 'VersionStage'), {
      removeFrom: optionalString(input, 'RemoveFromVersionId'),
      moveTo: optionalString(input, 'MoveToVersionId'),
    });
    return { ARN: secret.arn, Name: secret.name };
  },

  BatchGetSecretValue(store, input) {
    const ids = optionalStringList(input, 'SecretIdList');
    const filterList = filters(input);
    if ((ids === undefined) === (filterList === undefined)) {
      throw new AwsServiceError('InvalidParameterException', "Either 'SecretIdList' or 'Filters' must be provided, but not both.");
    }
    if (ids) return batchByIds(store, ids, input);
    const selected = store.all().filter((secret) => !secret.deletionDate && matches(secret, filterList));
    const result = page(selected, optionalNumber(input, 'MaxResults'), optionalString(input, 'NextToken'), 20);
    const values = result.items.flatMap((secret) => {
      try {
        const { version } = store.getValue(secret.arn, {});
        return [valueShape(secret, version)];
      } catch {
        return []; // a secret without an AWSCURRENT version has nothing to return
      }
    });
    return { SecretValues: values, Errors: [], NextToken: result.nextToken };
  },
};

function batchByIds(store: SecretsStore, ids: string[], input: Input): Record<string, unknown> {
  if (ids.length > 20) throw new AwsServiceError('InvalidParameterException', 'SecretIdList can contain at most 20 secret IDs.');
  if (input['MaxResults'] !== undefined) {
    throw new AwsServiceError('InvalidParameterException', 'MaxResults can only be used with Filters.');
  }
  const values: Array<Record<string, unknown>> = [];
  const errors: Array<Record<string, unknown>> = [];
  for (const id of ids) {
    try {
      const { secret, version } = store.getValue(id, {});
      values.push(valueShape(secret, version));
    } catch (error) {
      if (!(error instanceof AwsServiceError)) throw error;
      errors.push({ SecretId: id, ErrorCode: error.code, Message: error.message });
    }
  }
  return { SecretValues: values, Errors: errors };
}
