/** An error with an HTTP status and a Kong-style `{"message": ...}` body meant for the client. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Record<string, unknown> = { message },
  ) {
    super(message);
    this.name = 'HttpError';
  }

  static notFound(): HttpError {
    return new HttpError(404, 'Not found');
  }

  static methodNotAllowed(): HttpError {
    return new HttpError(405, 'Method not allowed');
  }

  static badRequest(message: string): HttpError {
    return new HttpError(400, message);
  }
}
