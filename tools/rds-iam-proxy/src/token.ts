/** What the front needs from SigV4 verification (the AWS emulator's `verifyPresignedUrl`). */
export type TokenVerifier = (url: string) => Promise<{ ok: true } | { ok: false; message: string }>;

export interface TokenCheck {
  readonly ok: boolean;
  readonly reason?: string;
}

/**
 * An RDS IAM auth token is a SigV4-presigned URL without scheme:
 * `<endpoint host>:<port>/?Action=connect&DBUser=<user>&X-Amz-...` (service `rds-db`, 15 minutes).
 * It must name this endpoint and the user of the startup message, and its signature must verify.
 */
export async function checkToken(token: string, expected: { endpoint: string; user: string }, verify: TokenVerifier): Promise<TokenCheck> {
  let url: URL;
  try {
    url = new URL(/^https?:\/\//.test(token) ? token : `https://${token}`);
  } catch {
    return { ok: false, reason: 'not a presigned URL' };
  }
  if (url.host !== expected.endpoint) return { ok: false, reason: `token is for ${url.host}, not ${expected.endpoint}` };
  if (url.searchParams.get('Action') !== 'connect') return { ok: false, reason: 'Action is not connect' };
  if (url.searchParams.get('DBUser') !== expected.user) return { ok: false, reason: `token is for DBUser ${url.searchParams.get('DBUser')}, not ${expected.user}` };
  const verified = await verify(url.toString());
  return verified.ok ? { ok: true } : { ok: false, reason: verified.message };
}
