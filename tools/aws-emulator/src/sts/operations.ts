import type { Clock } from '@keygate/tool-kit';
import { isoSeconds } from '../time';
import { accountOf, type CredentialStore, type Principal, type TemporaryCredentials } from '../credentials';
import { AwsServiceError } from '../errors';
import { principalId } from '../ids';
import type { VerifySuccess } from '../sigv4/result';
import type { XmlNode } from './xml';

export interface RoleOption {
  readonly arn: string;
  /** ARNs of the callers that may assume the role. @defaultValue anyone with valid credentials */
  readonly allowedCallers?: readonly string[];
}

export interface WebIdentityTokenOption {
  readonly token: string;
  /** The role this token may assume. @defaultValue any role */
  readonly roleArn?: string;
  /** @defaultValue `keygate-subject` */
  readonly subject?: string;
  /** @defaultValue `sts.amazonaws.com` */
  readonly audience?: string;
  /** @defaultValue `oidc.keygate.test` */
  readonly provider?: string;
}

export interface StsContext {
  readonly credentials: CredentialStore;
  readonly clock: Clock;
  readonly accountId: string;
  /** Longest lifetime of issued credentials, whatever DurationSeconds asks for. */
  readonly lifetimeSeconds: number;
  /** Roles that may be assumed; undefined lets any well-formed role ARN be assumed. */
  readonly roles?: readonly RoleOption[];
  readonly webIdentityTokens: readonly WebIdentityTokenOption[];
  /** Stable `AROA...` ids per role ARN, as AWS keeps a role's id for its lifetime. */
  readonly roleIds: Map<string, string>;
}

type SignedOperation = (context: StsContext, params: URLSearchParams, caller: VerifySuccess) => XmlNode;
type UnsignedOperation = (context: StsContext, params: URLSearchParams) => XmlNode;

function validation(field: string, value: string | null, constraint: string): AwsServiceError {
  const shown = value === null ? 'null' : `'${value}'`;
  return new AwsServiceError('ValidationError', `1 validation error detected: Value ${shown} at '${field}' failed to satisfy constraint: ${constraint}`);
}

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === '') throw validation(name.charAt(0).toLowerCase() + name.slice(1), null, 'Member must not be null');
  return value;
}

function roleArn(params: URLSearchParams): string {
  const arn = required(params, 'RoleArn');
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(arn)) throw new AwsServiceError('ValidationError', `${arn} is invalid`);
  return arn;
}

function sessionName(params: URLSearchParams): string {
  const name = required(params, 'RoleSessionName');
  if (!/^[\w+=,.@-]{2,64}$/.test(name)) throw validation('roleSessionName', name, 'Member must satisfy regular expression pattern: [\\w+=,.@-]*');
  return name;
}

function duration(params: URLSearchParams, min: number, max: number, fallback: number): number {
  const raw = params.get('DurationSeconds');
  if (raw === null) return fallback;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds)) throw validation('durationSeconds', raw, 'Member must be an integer');
  if (seconds < min) throw validation('durationSeconds', raw, `Member must have value greater than or equal to ${min}`);
  if (seconds > max) throw validation('durationSeconds', raw, `Member must have value less than or equal to ${max}`);
  return seconds;
}

/** The principal of a session on a role: `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
export function assumedRole(context: Pick<StsContext, 'accountId' | 'roleIds'>, arn: string, session: string): Principal {
  const roleName = arn.slice(arn.lastIndexOf('/') + 1);
  let roleId = context.roleIds.get(arn);
  if (!roleId) {
    roleId = principalId('AROA');
    context.roleIds.set(arn, roleId);
  }
  const account = accountOf(arn) ?? context.accountId;
  return { arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${session}`, userId: `${roleId}:${session}`, account };
}

function issue(context: StsContext, principal: Principal, requestedSeconds: number): TemporaryCredentials {
  const lifetimeSeconds = Math.min(context.lifetimeSeconds, requestedSeconds);
  return context.credentials.issueTemporary({ principal, lifetimeSeconds, now: context.clock.now() });
}

export function credentialsNode(issued: TemporaryCredentials): XmlNode {
  return {
    AccessKeyId: issued.accessKeyId,
    SecretAccessKey: issued.secretAccessKey,
    SessionToken: issued.sessionToken,
    Expiration: isoSeconds(issued.expiration),
  };
}

function assumedRoleUser(principal: Principal): XmlNode {
  return { AssumedRoleId: principal.userId, Arn: principal.arn };
}

/** STS actions (by `Action` parameter) that need a SigV4-signed request. */
export const SIGNED_OPERATIONS: Readonly<Record<string, SignedOperation>> = {
  AssumeRole(context, params, caller) {
    const arn = roleArn(params);
    const session = sessionName(params);
    const seconds = duration(params, 900, 43200, 3600);
    const role = context.roles?.find((r) => r.arn === arn);
    const allowed = context.roles === undefined || (role !== undefined && (!role.allowedCallers || role.allowedCallers.includes(caller.principal.arn)));
    if (!allowed) {
      throw new AwsServiceError('AccessDenied', `User: ${caller.principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${arn}`, 403);
    }
    const principal = assumedRole(context, arn, session);
    return { Credentials: credentialsNode(issue(context, principal, seconds)), AssumedRoleUser: assumedRoleUser(principal), PackedPolicySize: 0 };
  },

  GetSessionToken(context, params, caller) {
    if (caller.credential.sessionToken !== undefined) {
      throw new AwsServiceError('AccessDenied', 'Cannot call GetSessionToken with session credentials', 403);
    }
    const seconds = duration(params, 900, 129600, 43200);
    return { Credentials: credentialsNode(issue(context, caller.principal, seconds)) };
  },

  GetCallerIdentity(_context, _params, caller) {
    const principal = caller.principal;
    return { Arn: principal.arn, UserId: principal.userId, Account: principal.account };
  },
};

/** Actions AWS accepts without a signature: the token in the request is the credential. */
export const UNSIGNED_OPERATIONS: Readonly<Record<string, UnsignedOperation>> = {
  AssumeRoleWithWebIdentity(context, params) {
    const arn = roleArn(params);
    const session = sessionName(params);
    const token = required(params, 'WebIdentityToken');
    const seconds = duration(params, 900, 43200, 3600);
    const accepted = context.webIdentityTokens.find((t) => t.token === token);
    if (!accepted) {
      throw new AwsServiceError(
        'InvalidIdentityToken',
        'The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.',
      );
    }
    if (accepted.roleArn !== undefined && accepted.roleArn !== arn) {
      throw new AwsServiceError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403);
    }
    const principal = assumedRole(context, arn, session);
    return {
      Credentials: credentialsNode(issue(context, principal, seconds)),
      SubjectFromWebIdentityToken: accepted.subject ?? 'keygate-subject',
      AssumedRoleUser: assumedRoleUser(principal),
      Provider: accepted.provider ?? 'oidc.keygate.test',
      Audience: accepted.audience ?? 'sts.amazonaws.com',
    };
  },
};
