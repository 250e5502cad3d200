import { DatabaseError, DatabaseUnavailableError } from '@keygate/db';
import { EntityError, UnreadableRowError } from '@keygate/entities';
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

  it('answers a value the database refused as data with 400, not 500', () => {
    expect(toErrorResponse(new DatabaseError('invalid byte sequence', { sqlState: '22021' }), 'r1')).toEqual({
      status: 400,
      body: { message: 'The database refused a value of this request (SQLSTATE 22021)' },
      internal: false,
    });
    expect(toErrorResponse(new DatabaseError('index row size exceeds maximum', { sqlState: '54000' }), 'r1').status).toBe(400);
    expect(toErrorResponse(new DatabaseError('deadlock', { sqlState: '40P01' }), 'r1').status).toBe(500);
  });

  it('answers an unreadable row with 409 (tampered) or 503 (key not held), naming row and key', () => {
    const tampered = toErrorResponse(new UnreadableRowError('keyauth_credentials', 'r-9', 'key', 'AbCd1234', { code: 'FIELD_INTEGRITY' }), 'r1');
    expect(tampered).toMatchObject({ status: 409, internal: false, body: { message: expect.stringContaining('keyauth_credentials row r-9: its key (key AbCd1234)') } });
    const missing = toErrorResponse(new UnreadableRowError('keyauth_credentials', 'r-9', 'key', 'ZZZZZZZZ', { code: 'KEY_NOT_AVAILABLE' }), 'r1');
    expect(missing).toMatchObject({ status: 503, body: { message: expect.stringContaining('key ZZZZZZZZ, which this node does not hold'), request_id: 'r1' } });
  });
});
