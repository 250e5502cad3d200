import type { Clock } from '@keygate/tool-kit';
import { isoSeconds } from '../time';
import { opaqueToken } from '../ids';
import { json, text, type ReceivedRequest, type Reply } from '../http';
import type { RollingCredentials } from './credentials-source';

export interface ImdsContext {
  readonly clock: Clock;
  readonly region: string;
  readonly accountId: string;
  readonly instanceId: string;
  readonly instanceRoleName: string;
  readonly instance: RollingCredentials;
  readonly container: RollingCredentials;
  readonly containerRoleArn: string;
  /** When set, the container endpoint wants exactly this `Authorization` header value. */
  readonly containerAuthorizationToken?: string;
  /** Answer metadata requests without a session token (IMDSv1), as instances with "optional" tokens do. */
  readonly allowV1: boolean;
}

const TOKEN_PATH = '/latest/api/token';
const TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';
const TOKEN_HEADER = 'x-aws-ec2-metadata-token';
const CREDENTIALS_PATH = '/latest/meta-data/iam/security-credentials/';
export const CONTAINER_CREDENTIALS_PATH = '/ecs/credentials';

/**
 * EC2's instance metadata service (IMDSv2: a session token from `PUT /latest/api/token` on every
 * request) and ECS's container credentials endpoint, on one port.
 */
export class MetadataService {
  private readonly tokens = new Map<string, number>();

  constructor(private readonly context: ImdsContext) {}

  handle(request: ReceivedRequest): Reply {
    if (request.path === CONTAINER_CREDENTIALS_PATH || request.path.startsWith('/v2/credentials/')) return this.container(request);
    if (request.path === TOKEN_PATH) return this.issueToken(request);
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'Method Not Allowed');
    if (!this.authorized(request)) return text(401, 'Unauthorized');
    return this.metadata(request.path);
  }

  private issueToken(request: ReceivedRequest): Reply {
    if (request.method !== 'PUT') return text(405, 'Method Not Allowed');
    // IMDS refuses tokens to requests that went through a proxy, so that a misconfigured proxy can't leak them.
    if (request.header('x-forwarded-for') !== undefined) return text(403, 'Forbidden');
    const raw = request.header(TTL_HEADER) ?? '';
    const ttl = /^\d+$/.test(raw) ? Number(raw) : 0;
    if (ttl < 1 || ttl > 21600) return text(400, 'Bad Request');
    const token = opaqueToken(42);
    const now = this.context.clock.now().getTime();
    for (const [old, expires] of this.tokens) if (expires <= now) this.tokens.delete(old);
    this.tokens.set(token, now + ttl * 1000);
    return text(200, token, { [TTL_HEADER]: String(ttl) });
  }

  private authorized(request: ReceivedRequest): boolean {
    const token = request.header(TOKEN_HEADER);
    if (token === undefined) return this.context.allowV1;
    const expires = this.tokens.get(token);
    return expires !== undefined && expires > this.context.clock.now().getTime();
  }

  private metadata(path: string): Reply {
    const c = this.context;
    const zone = `${c.region}a`;
    const documents: Record<string, () => Reply> = {
      '/latest/meta-data/': () => text(200, ['ami-id', 'hostname', 'iam/', 'instance-id', 'instance-type', 'local-ipv4', 'placement/'].join('\n')),
      '/latest/meta-data/ami-id': () => text(200, 'ami-0123456789abcdef0'),
      '/latest/meta-data/hostname': () => text(200, `ip-10-0-0-1.${c.region}.compute.internal`),
      '/latest/meta-data/instance-id': () => text(200, c.instanceId),
      '/latest/meta-data/instance-type': () => text(200, 't3.micro'),
      '/latest/meta-data/local-ipv4': () => text(200, '10.0.0.1'),
      '/latest/meta-data/placement/': () => text(200, 'availability-zone\nregion'),
      '/latest/meta-data/placement/region': () => text(200, c.region),
      '/latest/meta-data/placement/availability-zone': () => text(200, zone),
      '/latest/meta-data/iam/': () => text(200, 'info\nsecurity-credentials/'),
      '/latest/meta-data/iam/info': () => this.iamInfo(),
      '/latest/meta-data/iam/security-credentials': () => text(200, c.instanceRoleName),
      [CREDENTIALS_PATH]: () => text(200, c.instanceRoleName),
      [`${CREDENTIALS_PATH}${c.instanceRoleName}`]: () => this.instanceCredentials(),
      '/latest/dynamic/instance-identity/document': () => json(200, this.identityDocument(zone)),
    };
    const document = documents[path];
    return document ? document() : text(404, 'Not Found');
  }

  private iamInfo(): Reply {
    const c = this.context;
    return json(200, {
      Code: 'Success',
      LastUpdated: isoSeconds(c.clock.now()),
      InstanceProfileArn: `arn:aws:iam::${c.accountId}:instance-profile/${c.instanceRoleName}`,
      InstanceProfileId: 'AIPA0123456789EXAMPLE',
    });
  }

  private instanceCredentials(): Reply {
    const { credentials, issuedAt } = this.context.instance.get();
    return json(200, {
      Code: 'Success',
      LastUpdated: isoSeconds(issuedAt),
      Type: 'AWS-HMAC',
      AccessKeyId: credentials.accessKeyId,
      SecretAccessKey: credentials.secretAccessKey,
      Token: credentials.sessionToken,
      Expiration: isoSeconds(credentials.expiration),
    });
  }

  private identityDocument(zone: string): Record<string, unknown> {
    const c = this.context;
    return {
      accountId: c.accountId,
      architecture: 'x86_64',
      availabilityZone: zone,
      imageId: 'ami-0123456789abcdef0',
      instanceId: c.instanceId,
      instanceType: 't3.micro',
      pendingTime: isoSeconds(c.clock.now()),
      privateIp: '10.0.0.1',
      region: c.region,
      version: '2017-09-30',
    };
  }

  private container(request: ReceivedRequest): Reply {
    const expected = this.context.containerAuthorizationToken;
    if (expected !== undefined && request.header('authorization') !== expected) {
      return json(401, { code: 'InvalidTokenError', message: 'the Authorization header does not match the container credentials token' });
    }
    if (request.method !== 'GET') return text(405, 'Method Not Allowed');
    const { credentials } = this.context.container.get();
    return json(200, {
      AccessKeyId: credentials.accessKeyId,
      SecretAccessKey: credentials.secretAccessKey,
      Token: credentials.sessionToken,
      Expiration: isoSeconds(credentials.expiration),
      RoleArn: this.context.containerRoleArn,
    });
  }
}
