import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';
import { startAwsEmulator, type AwsEmulator } from '@keygate/tool-aws-emulator';
import { testServices } from '@keygate/testing';
import { startRdsIamProxy, type RdsIamProxy } from './front';

const KEY = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
let aws: AwsEmulator;
let front: RdsIamProxy;
const refusals: string[] = [];

beforeAll(async () => {
  aws = await startAwsEmulator({ accessKeys: [KEY], region: 'eu-west-1' });
  front = await startRdsIamProxy({
    upstream: { host: testServices().pg.host, port: testServices().pg.port },
    verify: async (url) => {
      const result = aws.verifyPresignedUrl(url, { service: 'rds-db', maxExpiresSeconds: 900 });
      return result.ok ? { ok: true } : { ok: false, message: result.message };
    },
    onRefused: (user, reason) => refusals.push(`${user}: ${reason}`),
  });
  const admin = new pg.Client({ ...testServices().pg, database: 'postgres' });
  await admin.connect();
  await admin.query("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kg_iam_user') THEN CREATE ROLE kg_iam_user LOGIN; END IF; END $$");
  await admin.end();
});

afterAll(async () => {
  await front?.stop();
  await aws?.stop();
});

function token(user: string, credentials = KEY, region = 'eu-west-1', port = front.port): Promise<string> {
  return new Signer({ hostname: '127.0.0.1', port, username: user, region, credentials }).getAuthToken();
}

async function connectWith(password: string, user = 'kg_iam_user', ssl: pg.ClientConfig['ssl'] = { rejectUnauthorized: false }) {
  const client = new pg.Client({ host: '127.0.0.1', port: front.port, user, database: 'postgres', password, ssl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    return (await client.query<{ user: string }>('SELECT current_user AS user')).rows[0]?.user;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (err: unknown) => err as { code?: string; message: string });

describe('rds-iam-proxy', () => {
  it('lets in a client whose password is a valid rds-db:connect token for this endpoint and user', async () => {
    expect(await connectWith(await token('kg_iam_user'))).toBe('kg_iam_user');
  });

  it("answers a wrong, expired or misdirected token with RDS's 28P01", async () => {
    const wrongKey = await token('kg_iam_user', { ...KEY, secretAccessKey: 'not-the-secret' });
    const otherUser = await token('someone_else');
    const otherRegion = await token('kg_iam_user', KEY, 'us-east-1');
    for (const password of [wrongKey, otherUser, otherRegion, 'plain-password']) {
      const err = await failure(connectWith(password));
      expect(err).toMatchObject({ code: '28P01', message: 'PAM authentication failed for user "kg_iam_user"' });
    }
    const valid = await token('kg_iam_user');
    aws.advanceClock(16 * 60);
    expect(await failure(connectWith(valid))).toMatchObject({ code: '28P01' });
    aws.advanceClock(-16 * 60);
    expect(refusals.some((r) => r.includes('someone_else'))).toBe(true);
  });

  it('refuses connections without TLS, as RDS with IAM does', async () => {
    const err = await failure(connectWith(await token('kg_iam_user'), 'kg_iam_user', false));
    expect(err).toMatchObject({ code: '28000' });
    expect(err?.message).toContain('no encryption');
  });

  it('counts IAM authentications per second', async () => {
    const before = front.rate.accepted;
    await Promise.all(Array.from({ length: 5 }, async () => connectWith(await token('kg_iam_user'))));
    expect(front.rate.accepted - before).toBe(5);
    expect(front.rate.maxPerSecond()).toBeGreaterThanOrEqual(1);
  });
});
