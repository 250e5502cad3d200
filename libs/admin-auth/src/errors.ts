/**
 * RBAC and audit failures as values with stable codes; libs/http maps each code to a status and
 * the message to Kong's `{"message": ...}` body.
 */
export class AdminAuthError extends Error {
  constructor(
    readonly code: 'RBAC_UNAUTHORIZED' | 'RBAC_FORBIDDEN' | 'RBAC_BAD_REQUEST' | 'RBAC_NOT_FOUND' | 'RBAC_CONFLICT',
    message: string,
    /** Fields added to the body (Kong's DAO error code and name for an entity-level refusal). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AdminAuthError';
  }
}

/** Kong's 401 body for a missing, empty or unknown token, or a disabled user. */
export const invalidCredentials = () => new AdminAuthError('RBAC_UNAUTHORIZED', 'Invalid RBAC credentials');
export const forbidden = (user: string, action: string) => new AdminAuthError('RBAC_FORBIDDEN', `${user}, you do not have permissions to ${action} this resource`);
export const rbacBadRequest = (message: string) => new AdminAuthError('RBAC_BAD_REQUEST', message);
export const rbacNotFound = (message: string) => new AdminAuthError('RBAC_NOT_FOUND', message);
export const rbacConflict = (message: string) => new AdminAuthError('RBAC_CONFLICT', message);
/** Kong's DAO error for an entity the user's roles do not allow (`enforce_rbac = entity|both`). */
export const entityForbidden = (user: string, action: string) =>
  new AdminAuthError('RBAC_FORBIDDEN', `${user}, you do not have permissions to ${action} this resource`, { code: 99, name: 'unauthorized access' });
/** A role whose stored permissions fail their MAC: re-signing them would adopt rows written outside Keygate. */
export const tamperedRole = (name: string) =>
  new AdminAuthError('RBAC_CONFLICT', `the permissions of role '${name}' fail their MAC (changed outside Keygate); delete the role and create it again`);
