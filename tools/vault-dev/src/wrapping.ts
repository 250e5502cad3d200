import { randomUUID } from 'node:crypto';
import { badRequest, ok, vaultTime, type VaultReply } from './envelope';
import type { TokenStore } from './tokens';

const INVALID = 'wrapping token is not valid or does not exist';

/**
 * Response wrapping: the answer is stored behind a single-use token with a TTL and replaced by
 * `wrap_info`. Used for AppRole secret IDs (`approle_response_wrapping` in Kong).
 */
export function wrapReply(tokens: TokenStore, reply: Record<string, unknown>, ttlSeconds: number, creationPath: string, namespace: string): VaultReply {
  const entry = tokens.issue({ policies: ['response-wrapping'], ttlSeconds, namespace, path: creationPath, type: 'wrapping', wrapped: reply, renewable: false });
  const auth = reply['auth'] as { accessor?: string } | null | undefined;
  return ok({
    wrap_info: {
      token: entry.id,
      accessor: entry.accessor,
      ttl: ttlSeconds,
      creation_time: vaultTime(entry.createdAt),
      creation_path: creationPath,
      wrapped_accessor: auth?.accessor ?? '',
    },
  });
}

/** `sys/wrapping/unwrap`: hands out the wrapped answer once and forgets it. */
export function unwrap(tokens: TokenStore, token: string | undefined): VaultReply {
  const entry = tokens.find(token);
  if (!entry || entry.type !== 'wrapping' || !entry.wrapped) throw badRequest(INVALID);
  tokens.revoke(entry.id);
  return { status: 200, body: { ...entry.wrapped, request_id: randomUUID() } };
}

/** `sys/wrapping/lookup`: what a wrapping token holds, without using it up. */
export function lookupWrapping(tokens: TokenStore, token: string | undefined): VaultReply {
  const entry = tokens.find(token);
  if (!entry || entry.type !== 'wrapping') throw badRequest(INVALID);
  return ok({ data: { creation_path: entry.path, creation_time: vaultTime(entry.createdAt), creation_ttl: entry.ttlSeconds } });
}
