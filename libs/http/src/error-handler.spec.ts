import { DatabaseUnavailableError } from '@keygate/db';
import { EntityError } from '@keygate/entities';
import { HttpError } from './errors';
import { toErrorResponse } from './error-handler';

describe('toErrorResponse', () => {
  it("maps Kong's DAO error codes to their statuses", () => {
    expect(toErrorResponse(new EntityError('UNIQUE_VIOLATION', 'dup', { a: 'b' }), 'r1')).toEqual({
      status: 409,
      body: { code: 5, name: 'unique constraint violation', message: 'dup', fields: { a: 'b' } },
      internal: false,
    });
    expect(toErrorResponse(new EntityError('SCHEMA_VIOLATION', 'bad'), 'r1').status).toBe(400);
    expect(toErrorResponse(new EntityError('NOT_FOUND', 'x'), 'r1').status).toBe(404);
  });

  it('passes client errors through and hides failures inside behind a request id', () => {
    expect(toErrorResponse(HttpError.notFound(), 'r1')).toEqual({ status: 404, body: { message: 'Not found' }, internal: false });
    const internal = toErrorResponse(new Error('secret detail: password=hunter2'), 'req-42');
    expect(internal).toEqual({ status: 500, body: { message: 'An unexpected error occurred', request_id: 'req-42' }, internal: true });
    expect(toErrorResponse(new DatabaseUnavailableError('ECONNREFUSED'), 'req-43')).toEqual({
      status: 503,
      body: { message: 'The database is currently unavailable', request_id: 'req-43' },
      internal: true,
    });
  });
});
