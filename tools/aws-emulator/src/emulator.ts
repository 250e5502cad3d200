import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiHandler, type Availability, type OutageMode } from './api-server';
import { Clock } from '@keygate/tool-kit';
import { CredentialStore, type AccessKeyOption, type StoredCredential, type TemporaryCredentials } from './credentials';
import { receive, send } from './http';
import { instanceId as newInstanceId, accessKeyId as newAccessKeyId, secretAccessKey as newSecretKey } from './ids';
import { RollingCredentials } from './imds/credentials-source';
import { MetadataService } from './imds/server';
import { close, listen, urlFor } from './listen';
import { SecretsStore } from './secrets/store';
import type { VerifyResult } from './sigv4/result';
import { verifyPresignedUrl } from './sigv4/verify';
import { assumedRole, type RoleOption, type StsContext, type WebIdentityTokenOption } from './sts/operations';
import { resolveOptions } from './options';

export interface AwsEmulatorOptions {
  /** @defaultValue `127.0.0.1` */
  readonly host?: string;
  /** Port of the Secrets Manager/STS endpoint. @defaultValue 0 (a free port) */
  readonly port?: number;
  /** Port of the EC2 IMDS + ECS container credentials endpoint. @defaultValue 0 (a free port) */
  readonly imdsPort?: number;
  /** @defaultValue `us-east-1` */
  readonly region?: string;
  /** @defaultValue `123456789012` */
  readonly accountId?: string;
  /** Long-term keys the emulator accepts. @defaultValue one generated key (see `accessKeys` on the result) */
  readonly accessKeys?: readonly AccessKeyOption[];
  /** Lifetime of every temporary credential it issues (STS caps it further by DurationSeconds). @defaultValue 3600 */
  readonly credentialLifetimeSeconds?: number;
  /** Roles AssumeRole may assume. @defaultValue any well-formed role ARN */
  readonly roles?: ReadonlyArray<string | RoleOption>;
  /** Tokens AssumeRoleWithWebIdentity accepts. @defaultValue none */
  readonly webIdentityTokens?: ReadonlyArray<string | WebIdentityTokenOption>;
  /** Role name of the EC2 instance profile served by IMDS. @defaultValue `keygate-instance-role` */
  readonly instanceRoleName?: string;
  /** Role of the ECS task served at `/ecs/credentials`. @defaultValue `arn:aws:iam::<account>:role/keygate-task-role` */
  readonly containerRoleArn?: string;
  /** `Authorization` value the container endpoint requires (`AWS_CONTAINER_AUTHORIZATION_TOKEN`). @defaultValue none required */
  readonly containerAuthorizationToken?: string;
  /** Answer IMDS requests that carry no session token (IMDSv1). @defaultValue false */
  readonly imdsV1?: boolean;
}

export interface AwsEmulator {
  /** Endpoint for Secrets Manager and STS (`endpoint` in SDK clients, `--endpoint-url`). */
  readonly url: string;
  readonly port: number;
  /** Endpoint for IMDS (`AWS_EC2_METADATA_SERVICE_ENDPOINT`). */
  readonly imdsUrl: string;
  readonly imdsPort: number;
  /** `AWS_CONTAINER_CREDENTIALS_FULL_URI` for the ECS-style endpoint. */
  readonly containerCredentialsUrl: string;
  readonly region: string;
  readonly accountId: string;
  readonly accessKeys: readonly StoredCredential[];
  /** Every key it accepts; pass it to `verifyPresignedUrl` to verify tokens with the same keys. */
  readonly credentials: CredentialStore;
  readonly clock: Clock;
  readonly secrets: SecretsStore;
  /** Moves the emulator's clock forward, e.g. past the expiry of temporary credentials. */
  advanceClock(seconds: number): void;
  /** false: Secrets Manager and STS answer 503 (or drop connections with `mode: 'reset'`) until set back to true. */
  setAvailable(up: boolean, options?: { readonly mode?: OutageMode }): void;
  /** The same for the IMDS/container endpoint. */
  setImdsAvailable(up: boolean, options?: { readonly mode?: OutageMode }): void;
  issueTemporaryCredentials(options?: { readonly roleArn?: string; readonly sessionName?: string; readonly lifetimeSeconds?: number }): TemporaryCredentials;
  /** Makes IMDS hand out a new instance credential set now (the old one stays valid until it expires). */
  rotateInstanceCredentials(): TemporaryCredentials;
  verifyPresignedUrl(url: string, options: { readonly service: string; readonly maxExpiresSeconds?: number }): VerifyResult;
  /** Stops both listeners and drops open connections; calling it again does nothing. */
  stop(): Promise<void>;
}

export async function startAwsEmulator(options: AwsEmulatorOptions = {}): Promise<AwsEmulator> {
  const o = resolveOptions(options);
  const clock = new Clock();
  const credentials = new CredentialStore(o.accountId);
  const keys = (o.accessKeys.length > 0 ? o.accessKeys : [{ accessKeyId: newAccessKeyId('AKIA'), secretAccessKey: newSecretKey() }]).map((key) =>
    credentials.addAccessKey(key),
  );
  const secrets = new SecretsStore({ region: o.region, accountId: o.accountId, clock });
  const sts: StsContext = {
    credentials,
    clock,
    accountId: o.accountId,
    lifetimeSeconds: o.credentialLifetimeSeconds,
    roles: o.roles,
    webIdentityTokens: o.webIdentityTokens,
    roleIds: new Map(),
  };
  const assumed = (roleArn: string, session: string) => assumedRole(sts, roleArn, session);
  const instanceId = newInstanceId();
  const instance = new RollingCredentials(credentials, clock, assumed(`arn:aws:iam::${o.accountId}:role/${o.instanceRoleName}`, instanceId), o.credentialLifetimeSeconds);
  const container = new RollingCredentials(credentials, clock, assumed(o.containerRoleArn, 'ecs-task'), o.credentialLifetimeSeconds);
  const metadata = new MetadataService({
    clock,
    region: o.region,
    accountId: o.accountId,
    instanceId,
    instanceRoleName: o.instanceRoleName,
    instance,
    container,
    containerRoleArn: o.containerRoleArn,
    containerAuthorizationToken: o.containerAuthorizationToken,
    allowV1: o.imdsV1,
  });

  const apiAvailability: Availability = { up: true, mode: 'error' };
  const imdsAvailability: Availability = { up: true, mode: 'error' };
  const api = await listen(
    apiHandler({
      clock,
      region: o.region,
      credentials,
      secrets: { store: secrets, credentials, region: o.region, now: () => clock.now() },
      sts: { ...sts, region: o.region },
      availability: apiAvailability,
    }),
    o.host,
    o.port,
  );
  const imds = await listen(imdsHandler(metadata, imdsAvailability, clock), o.host, o.imdsPort).catch(async (error: unknown) => {
    await close(api.server);
    throw error;
  });

  let stopped: Promise<void> | undefined;
  const imdsUrl = urlFor(o.host, imds.port);
  return {
    url: urlFor(o.host, api.port),
    port: api.port,
    imdsUrl,
    imdsPort: imds.port,
    containerCredentialsUrl: `${imdsUrl}/ecs/credentials`,
    region: o.region,
    accountId: o.accountId,
    accessKeys: keys,
    credentials,
    clock,
    secrets,
    advanceClock: (seconds) => clock.advance(seconds),
    setAvailable: (up, opts) => Object.assign(apiAvailability, { up, mode: opts?.mode ?? 'error' }),
    setImdsAvailable: (up, opts) => Object.assign(imdsAvailability, { up, mode: opts?.mode ?? 'error' }),
    issueTemporaryCredentials: (opts = {}) =>
      credentials.issueTemporary({
        principal: assumed(opts.roleArn ?? `arn:aws:iam::${o.accountId}:role/keygate-test-role`, opts.sessionName ?? 'keygate-test'),
        lifetimeSeconds: opts.lifetimeSeconds ?? o.credentialLifetimeSeconds,
        now: clock.now(),
      }),
    rotateInstanceCredentials: () => instance.rotate().credentials,
    verifyPresignedUrl: (url, opts) => verifyPresignedUrl(url, { ...opts, credentials, region: o.region, now: clock.now() }),
    stop: () => (stopped ??= Promise.all([close(api.server), close(imds.server)]).then(() => undefined)),
  };
}

function imdsHandler(metadata: MetadataService, availability: Availability, clock: Clock) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (!availability.up && availability.mode === 'reset') return void req.socket.destroy();
    receive(req)
      .then((request) => send(res, availability.up ? metadata.handle(request) : { status: 503, body: 'Service Unavailable' }, clock.now()))
      .catch(() => {
        if (!res.headersSent) send(res, { status: 500, body: 'Internal Server Error' }, clock.now());
      });
  };
}
