export { Backoff, backoffDelay, retry, type BackoffOptions, type RetryOptions } from './backoff';
export { BodyTooLargeError, readBody, type ReadBodyOptions } from './read-body';
