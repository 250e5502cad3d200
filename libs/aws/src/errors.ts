/**
 * AWS credentials could not be obtained. The message names the source that was tried and the
 * cause AWS gave (`InvalidClientTokenId`, `SignatureDoesNotMatch`, a timeout...), never a secret.
 */
export class AwsCredentialsError extends Error {
  readonly code = 'AWS_CREDENTIALS';

  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = 'AwsCredentialsError';
  }
}

/** The AWS error code (SDK `name`) and message, as one line for operators. */
export function describeAwsError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const name = err.name && err.name !== 'Error' ? err.name : undefined;
  const code = (err as { code?: unknown }).code;
  const label = name ?? (typeof code === 'string' ? code : undefined);
  return label && !err.message.startsWith(label) ? `${label}: ${err.message}` : err.message;
}
