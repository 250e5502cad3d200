import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256, rdsAuthToken, TEST_KEY } from '../test/helpers';
import { CredentialStore, startAwsEmulator, verifyPresignedUrl, type AwsEmulator } from './index';

const SIGNED_AT = new Date('2026-03-01T12:00:00Z');
const at = (seconds: number) => new Date(SIGNED_AT.getTime() + seconds * 1000);

describe('verifyPresignedUrl (RDS IAM auth tokens)', () => {
  const store = new CredentialStore('123456789012');
  store.addAccessKey(TEST_KEY);
  const options = { credentials: store, service: 'rds-db', region: 'us-east-1', maxExpiresSeconds: 900 };
  const token = (extra: Partial<Parameters<typeof rdsAuthToken>[0]> = {}) =>
    rdsAuthToken({ hostname: 'db.internal', port: 5432, user: 'kong', region: 'us-east-1', credentials: TEST_KEY, signingDate: SIGNED_AT, ...extra });

  it('accepts a token signed with a known key, with or without a scheme', async () => {
    const signed = await token();
    expect(signed).toMatch(/^db\.internal:5432\/\?Action=connect&DBUser=kong&X-Amz-Algorithm=AWS4-HMAC-SHA256&/);
    expect(verifyPresignedUrl(signed, { ...options, now: at(60) })).toMatchObject({ ok: true, accessKeyId: TEST_KEY.accessKeyId });
    expect(verifyPresignedUrl(`https://${signed}`, { ...options, now: at(60) })).toMatchObject({ ok: true });
  });

  it('refuses a tampered token', async () => {
    const signed = (await token()).replace('DBUser=kong', 'DBUser=postgres');
    expect(verifyPresignedUrl(signed, { ...options, now: at(60) })).toEqual({
      ok: false,
      code: 'SignatureDoesNotMatch',
      message: expect.stringMatching(/^The request signature we calculated does not match/),
    });
    const otherHost = (await token()).replace('db.internal:5432', 'db.internal:5433');
    expect(verifyPresignedUrl(otherHost, { ...options, now: at(60) })).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
  });

  it('refuses an expired token, capping X-Amz-Expires at the 15 minutes RDS allows', async () => {
    const signed = await token();
    expect(verifyPresignedUrl(signed, { ...options, now: at(900) })).toMatchObject({ ok: true });
    expect(verifyPresignedUrl(signed, { ...options, now: at(901) })).toEqual({ ok: false, code: 'RequestExpired', message: 'Request has expired' });
    const long = await token({ expiresIn: 3600 });
    expect(verifyPresignedUrl(long, { ...options, now: at(1000) })).toMatchObject({ ok: false, code: 'RequestExpired' });
    expect(verifyPresignedUrl(long, { ...options, maxExpiresSeconds: undefined, now: at(1000) })).toMatchObject({ ok: true });
  });

  it('refuses a token for another region or service, or signed by an unknown key', async () => {
    expect(verifyPresignedUrl(await token({ region: 'eu-west-1' }), { ...options, now: at(1) })).toEqual({
      ok: false,
      code: 'SignatureDoesNotMatch',
      message: "Credential should be scoped to a valid region, not 'eu-west-1'. ",
    });
    expect(verifyPresignedUrl(await token({ service: 'sts' }), { ...options, now: at(1) })).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(verifyPresignedUrl(await token({ credentials: { accessKeyId: 'AKIANOBODY0000000000', secretAccessKey: 'x' } }), { ...options, now: at(1) })).toEqual({
      ok: false,
      code: 'InvalidClientTokenId',
      message: 'The security token included in the request is invalid.',
    });
    expect(verifyPresignedUrl('db.internal:5432/?Action=connect&DBUser=kong', { ...options, now: at(1) })).toMatchObject({ ok: false, code: 'IncompleteSignature' });
  });

  it('checks the session token and expiry of temporary credentials', async () => {
    const temporary = store.issueTemporary({ principal: { arn: 'arn:aws:sts::123456789012:assumed-role/app/s', userId: 'AROAX:s', account: '123456789012' }, lifetimeSeconds: 300, now: SIGNED_AT });
    const signed = await token({ credentials: temporary });
    expect(signed).toContain('X-Amz-Security-Token=');
    expect(verifyPresignedUrl(signed, { ...options, now: at(10) })).toMatchObject({ ok: true, principal: { arn: 'arn:aws:sts::123456789012:assumed-role/app/s' } });
    expect(verifyPresignedUrl(signed, { ...options, now: at(301) })).toMatchObject({ ok: false, code: 'ExpiredToken' });
    const withoutToken = signed.replace(/&X-Amz-Security-Token=[^&]+/, '');
    expect(verifyPresignedUrl(withoutToken, { ...options, now: at(10) })).toMatchObject({ ok: false, code: 'InvalidClientTokenId' });
  });
});

describe('presigned requests against the emulator', () => {
  let emulator: AwsEmulator;
  beforeAll(async () => {
    emulator = await startAwsEmulator({ accessKeys: [TEST_KEY] });
  });
  afterAll(() => emulator.stop());

  it('verifies tokens over HTTP for a front running in another process, with the emulator-issued keys too', async () => {
    const temporary = emulator.issueTemporaryCredentials();
    const signed = await rdsAuthToken({ hostname: '127.0.0.1', port: 6432, user: 'kong', region: emulator.region, credentials: temporary });
    const response = await fetch(`${emulator.url}/_emulator/verify-presigned`, { method: 'POST', body: JSON.stringify({ url: signed, service: 'rds-db', maxExpiresSeconds: 900 }) });
    expect(await response.json()).toEqual({ ok: true, accessKeyId: temporary.accessKeyId, principal: temporary.principal });
    expect(emulator.verifyPresignedUrl(signed, { service: 'rds-db' })).toMatchObject({ ok: true });
  });

  it('answers a presigned STS GetCallerIdentity URL (query-string auth)', async () => {
    const host = new URL(emulator.url).host;
    const signer = new SignatureV4({ service: 'sts', region: emulator.region, credentials: TEST_KEY, sha256: NodeSha256 });
    const presigned = await signer.presign(
      { method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port: emulator.port, path: '/', query: { Action: 'GetCallerIdentity', Version: '2011-06-15' }, headers: { host } },
      { expiresIn: 60 },
    );
    const query = new URLSearchParams(presigned.query as Record<string, string>).toString().replace(/\+/g, '%20');
    const response = await fetch(`${emulator.url}/?${query}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<Arn>arn:aws:iam::123456789012:user/keygate</Arn>');

    const tampered = await fetch(`${emulator.url}/?${query.replace('Version=2011-06-15', 'Version=2011-06-16')}`);
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });
});
