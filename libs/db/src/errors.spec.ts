import {
  DatabaseAuthError,
  DatabaseError,
  DatabaseMissingError,
  DatabaseTimeoutError,
  DatabaseUnavailableError,
  ForeignKeyViolationError,
  UniqueViolationError,
  mapPgError,
} from './errors';

describe('mapPgError', () => {
  it.each([
    [{ code: '23505', table: 'consumers', constraint: 'consumers_username_key' }, UniqueViolationError],
    [{ code: '23503', table: 'routes', constraint: 'routes_service_id_fkey' }, ForeignKeyViolationError],
    [{ code: '57014', message: 'canceling statement due to statement timeout' }, DatabaseTimeoutError],
    [{ code: '28P01', message: 'password authentication failed' }, DatabaseAuthError],
    [{ code: '3D000', message: 'database "x" does not exist' }, DatabaseMissingError],
    [{ code: '57P01', message: 'terminating connection due to administrator command' }, DatabaseUnavailableError],
    [{ code: '08006', message: 'connection failure' }, DatabaseUnavailableError],
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' }, DatabaseUnavailableError],
    [{ message: 'Connection terminated unexpectedly' }, DatabaseUnavailableError],
    [{ message: 'timeout exceeded when trying to connect' }, DatabaseTimeoutError],
    [{ message: 'Query read timeout' }, DatabaseTimeoutError],
    [{ code: '42601', message: 'syntax error' }, DatabaseError],
  ])('maps %j', (input, expected) => {
    const mapped = mapPgError(Object.assign(new Error((input as { message?: string }).message ?? 'x'), input));
    expect(mapped).toBeInstanceOf(expected);
  });

  it('keeps table and constraint of a unique violation', () => {
    const mapped = mapPgError(Object.assign(new Error('dup'), { code: '23505', table: 'consumers', constraint: 'consumers_username_key' }));
    expect(mapped).toMatchObject({ table: 'consumers', constraint: 'consumers_username_key', code: 'DB_UNIQUE_VIOLATION', sqlState: '23505' });
  });

  it('returns an already mapped error unchanged', () => {
    const err = new DatabaseUnavailableError('down');
    expect(mapPgError(err)).toBe(err);
  });
});
