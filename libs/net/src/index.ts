export { Backoff, backoffDelay, retry, type BackoffOptions, type RetryOptions } from './backoff';
