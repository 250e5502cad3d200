import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { clientConfig, TEST_KEY } from '../test/helpers';
import { startAwsEmulator, type AwsEmulator } from './index';

describe('Secrets Manager through the real SDK v3 client', () => {
  let emulator: AwsEmulator;
  let sm: SecretsManagerClient;

  beforeAll(async () => {
    emulator = await startAwsEmulator({ accessKeys: [TEST_KEY], region: 'eu-west-1' });
    sm = new SecretsManagerClient(clientConfig(emulator));
  });
  afterAll(async () => {
    sm.destroy();
    await emulator.stop();
  });

  it('creates a secret, moves AWSCURRENT to each new value and keeps the old one as AWSPREVIOUS', async () => {
    const created = await sm.send(new CreateSecretCommand({ Name: 'db/creds', Description: 'db', SecretString: '{"v":1}' }));
    expect(created.ARN).toMatch(/^arn:aws:secretsmanager:eu-west-1:123456789012:secret:db\/creds-[A-Za-z0-9]{6}$/);
    expect(created.VersionId).toBeDefined();

    const put = await sm.send(new PutSecretValueCommand({ SecretId: 'db/creds', SecretString: '{"v":2}' }));
    expect(put.VersionStages).toEqual(['AWSCURRENT']);

    const current = await sm.send(new GetSecretValueCommand({ SecretId: 'db/creds' }));
    expect(current).toMatchObject({ Name: 'db/creds', ARN: created.ARN, VersionId: put.VersionId, SecretString: '{"v":2}', VersionStages: ['AWSCURRENT'] });
    expect(current.CreatedDate).toBeInstanceOf(Date);

    const previous = await sm.send(new GetSecretValueCommand({ SecretId: created.ARN, VersionStage: 'AWSPREVIOUS' }));
    expect(previous).toMatchObject({ VersionId: created.VersionId, SecretString: '{"v":1}', VersionStages: ['AWSPREVIOUS'] });

    const byVersion = await sm.send(new GetSecretValueCommand({ SecretId: 'db/creds', VersionId: created.VersionId }));
    expect(byVersion.SecretString).toBe('{"v":1}');

    // The ARN without its random suffix names the secret too.
    const partial = await sm.send(new GetSecretValueCommand({ SecretId: created.ARN!.slice(0, -7) }));
    expect(partial.SecretString).toBe('{"v":2}');

    const described = await sm.send(new DescribeSecretCommand({ SecretId: 'db/creds' }));
    expect(described.Description).toBe('db');
    expect(described.VersionIdsToStages).toEqual({ [created.VersionId!]: ['AWSPREVIOUS'], [put.VersionId!]: ['AWSCURRENT'] });

    const versions = await sm.send(new ListSecretVersionIdsCommand({ SecretId: 'db/creds' }));
    expect(versions.Versions!.map((v) => [v.VersionId, v.VersionStages])).toEqual([
      [created.VersionId, ['AWSPREVIOUS']],
      [put.VersionId, ['AWSCURRENT']],
    ]);
  });

  it('treats a repeated ClientRequestToken with the same value as a retry and refuses a different value', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'idempotent' }));
    const token = 'a'.repeat(32);
    const first = await sm.send(new PutSecretValueCommand({ SecretId: 'idempotent', ClientRequestToken: token, SecretString: 'x' }));
    const again = await sm.send(new PutSecretValueCommand({ SecretId: 'idempotent', ClientRequestToken: token, SecretString: 'x' }));
    expect(again.VersionId).toBe(first.VersionId);
    await expect(sm.send(new PutSecretValueCommand({ SecretId: 'idempotent', ClientRequestToken: token, SecretString: 'y' }))).rejects.toMatchObject({
      name: 'ResourceExistsException',
      message: "You can't modify an existing version, you can only create a new version.",
    });
  });

  it('stores binary secrets and answers a secret without a value as AWS does', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'empty' }));
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'empty' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
    });
    const blob = Uint8Array.from([0, 1, 2, 250, 255]);
    await sm.send(new CreateSecretCommand({ Name: 'binary', SecretBinary: blob }));
    const value = await sm.send(new GetSecretValueCommand({ SecretId: 'binary' }));
    expect(Buffer.from(value.SecretBinary!)).toEqual(Buffer.from(blob));
    expect(value.SecretString).toBeUndefined();
  });

  it('moves staging labels with UpdateSecretVersionStage and insists on naming the version that holds the label', async () => {
    const v1 = await sm.send(new CreateSecretCommand({ Name: 'staged', SecretString: 'one' }));
    const v2 = await sm.send(new PutSecretValueCommand({ SecretId: 'staged', SecretString: 'two' }));
    await expect(sm.send(new UpdateSecretVersionStageCommand({ SecretId: 'staged', VersionStage: 'AWSCURRENT', MoveToVersionId: v1.VersionId }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    await sm.send(
      new UpdateSecretVersionStageCommand({ SecretId: 'staged', VersionStage: 'AWSCURRENT', MoveToVersionId: v1.VersionId, RemoveFromVersionId: v2.VersionId }),
    );
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'staged' }))).SecretString).toBe('one');
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'staged', VersionStage: 'AWSPREVIOUS' }))).SecretString).toBe('two');

    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: 'staged', VersionStage: 'blue', MoveToVersionId: v2.VersionId }));
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'staged', VersionStage: 'blue' }))).VersionId).toBe(v2.VersionId);
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'staged', VersionId: v1.VersionId, VersionStage: 'blue' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('lists secrets page by page and filters by name', async () => {
    for (const n of [1, 2, 3]) await sm.send(new CreateSecretCommand({ Name: `list/item-${n}`, SecretString: String(n) }));
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await sm.send(new ListSecretsCommand({ MaxResults: 2, NextToken: token, Filters: [{ Key: 'name', Values: ['list/'] }], SortOrder: 'asc' }));
      expect(page.SecretList!.length).toBeLessThanOrEqual(2);
      names.push(...page.SecretList!.map((s) => s.Name!));
      token = page.NextToken;
    } while (token);
    expect(names).toEqual(['list/item-1', 'list/item-2', 'list/item-3']);
  });

  it('fetches several secrets at once and reports the missing ones in Errors', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'batch-a', SecretString: 'A' }));
    await sm.send(new CreateSecretCommand({ Name: 'batch-b', SecretString: 'B' }));
    const batch = await sm.send(new BatchGetSecretValueCommand({ SecretIdList: ['batch-a', 'batch-b', 'batch-missing'] }));
    expect(batch.SecretValues!.map((v) => [v.Name, v.SecretString])).toEqual([
      ['batch-a', 'A'],
      ['batch-b', 'B'],
    ]);
    expect(batch.Errors).toEqual([{ SecretId: 'batch-missing', ErrorCode: 'ResourceNotFoundException', Message: "Secrets Manager can't find the specified secret." }]);
    const filtered = await sm.send(new BatchGetSecretValueCommand({ Filters: [{ Key: 'name', Values: ['batch-'] }], MaxResults: 10 }));
    expect(filtered.SecretValues!.map((v) => v.Name).sort()).toEqual(['batch-a', 'batch-b']);
  });

  it('answers a deleted secret with "marked for deletion" until it is restored, and forgets a force-deleted one', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'doomed', SecretString: 's' }));
    const deleted = await sm.send(new DeleteSecretCommand({ SecretId: 'doomed', RecoveryWindowInDays: 7 }));
    expect(deleted.DeletionDate!.getTime() - Date.now()).toBeGreaterThan(6.9 * 86400 * 1000);
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'doomed' }))).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: "You can't perform this operation on the secret because it was marked for deletion.",
    });
    expect((await sm.send(new DescribeSecretCommand({ SecretId: 'doomed' }))).DeletedDate).toEqual(deleted.DeletionDate);
    const listed = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['doomed'] }] }));
    expect(listed.SecretList).toEqual([]);

    await sm.send(new RestoreSecretCommand({ SecretId: 'doomed' }));
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'doomed' }))).SecretString).toBe('s');

    await sm.send(new DeleteSecretCommand({ SecretId: 'doomed', ForceDeleteWithoutRecovery: true }));
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'doomed' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });
    await sm.send(new CreateSecretCommand({ Name: 'doomed', SecretString: 'reborn' }));
  });

  it('purges a secret once its recovery window has passed', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'expiring', SecretString: 's' }));
    await sm.send(new DeleteSecretCommand({ SecretId: 'expiring', RecoveryWindowInDays: 7 }));
    emulator.secrets.find('expiring', { allowDeleted: true });
    emulator.advanceClock(7 * 86400 + 1);
    try {
      expect(() => emulator.secrets.find('expiring', { allowDeleted: true })).toThrow("Secrets Manager can't find the specified secret.");
    } finally {
      emulator.advanceClock(-(7 * 86400 + 1));
    }
  });

  it('refuses a duplicate name and an unknown secret with AWS error codes', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'dup', SecretString: '1' }));
    await expect(sm.send(new CreateSecretCommand({ Name: 'dup', SecretString: '2' }))).rejects.toMatchObject({
      name: 'ResourceExistsException',
      message: 'The operation failed because the secret dup already exists.',
    });
    await expect(sm.send(new DescribeSecretCommand({ SecretId: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } });
  });
});
