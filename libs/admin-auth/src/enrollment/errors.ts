/** Enrollment and join refusals as values with stable codes (libs/http maps them to statuses). */
export class EnrollmentError extends Error {
  constructor(
    readonly code: 'ENROLLMENT_BAD_REQUEST' | 'ENROLLMENT_NOT_FOUND' | 'ENROLLMENT_TOKEN_UNKNOWN' | 'ENROLLMENT_TOKEN_GONE' | 'NODE_CREDENTIAL_REFUSED' | 'ENROLLMENT_RATE_LIMITED',
    message: string,
  ) {
    super(message);
    this.name = 'EnrollmentError';
  }
}

export const enrollmentBadRequest = (message: string) => new EnrollmentError('ENROLLMENT_BAD_REQUEST', message);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path id as stored (lower case), or Kong's 404 for anything that cannot be one. */
export function idOrNotFound(id: string): string {
  if (!UUID.test(id)) throw new EnrollmentError('ENROLLMENT_NOT_FOUND', 'Not found');
  return id.toLowerCase();
}
