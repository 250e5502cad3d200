/**
 * RBAC and audit failures as values with stable codes; libs/http maps each code to a status and
 * the message to Kong's `{"message": ...}` body.
 */
export class AdminAuthError extends Error {
  constructor(
    readonly code: 'RBAC_UNAUTHORIZED' | 'RBAC_FORBIDDEN' | 'RBAC_BAD_REQUEST' | 'RBAC_NOT_FOUND' | 'RBAC_CONFLICT',
    message: string,
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
