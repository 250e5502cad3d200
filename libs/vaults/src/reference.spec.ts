import { InvalidReferenceError } from './errors';
import { isReference, parseReference } from './reference';

describe('parseReference', () => {
  it.each([
    ['{vault://env/my-secret}', { name: 'env', resource: 'my-secret' }],
    ['{vault://aws/kong-gateway-database/pg_user}', { name: 'aws', resource: 'kong-gateway-database', key: 'pg_user' }],
    ['{vault://my-aws/db/pg_password#2}', { name: 'my-aws', resource: 'db', key: 'pg_password', version: 2 }],
    ['{vault://hcv/path/to/secret/key}', { name: 'hcv', resource: 'path/to/secret', key: 'key' }],
    ['{vault://hcv/path/to/secret/}', { name: 'hcv', resource: 'path/to/secret' }],
    ['{vault://env/single/}', { name: 'env', resource: 'single' }],
    ['{vault://env/cert/key?prefix=SSL_#1}', { name: 'env', resource: 'cert', key: 'key', version: 1, options: { prefix: 'SSL_' } }],
    ['{vault://aws/db/pg_user?ttl=5&neg_ttl=1&resurrect_ttl=30}', { resource: 'db', key: 'pg_user', options: { ttl: '5', neg_ttl: '1', resurrect_ttl: '30' } }],
    ['{vault://aws/arn%3Aaws%3Asecretsmanager%3Aeu-west-1%3A1%3Asecret%3Adb/pg_user}', { resource: 'arn:aws:secretsmanager:eu-west-1:1:secret:db', key: 'pg_user' }],
    ['{vault://env//double//slashes}', { resource: 'double', key: 'slashes' }],
  ])('%s', (reference, expected) => {
    expect(parseReference(reference)).toMatchObject({ reference, options: {}, ...expected });
    if (!('key' in expected)) expect(parseReference(reference).key).toBeUndefined();
  });

  it.each([
    ['vault://env/x', 'not a reference'],
    ['{vault://env/x', 'not a reference'],
    ['{vaults://env/x}', 'not a reference'],
    ['{vault:///x}', 'reference url is missing host'],
    ['{vault://}', 'reference url is missing host'],
    ['{vault://@/test}', 'reference url is missing host'],
    ['{vault://:80/test}', 'reference url is missing host'],
    ['{vault://env}', 'reference url is missing path'],
    ['{vault://env?ttl=1}', 'reference url is missing path'],
    ['{vault://env/}', 'reference url has empty path'],
    ['{vault://env//}', 'reference url has invalid path'],
    ['{vault://env/x#latest}', 'reference url has invalid version'],
    ['{vault://env/x#}', 'reference url has invalid version'],
    ['{vault://env/x#1.5}', 'reference url has invalid version'],
    ['{vault://env/%E0%A4%A}', 'reference url has invalid path'],
  ])('%s is refused: %s', (reference, reason) => {
    let error: unknown;
    try {
      parseReference(reference);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidReferenceError);
    expect((error as InvalidReferenceError).reason).toBe(reason);
    expect((error as InvalidReferenceError).message).toBe(`${reason} [${reference}]`);
    expect((error as InvalidReferenceError).code).toBe('VAULT_REFERENCE_INVALID');
  });

  it('recognises references as Kong does', () => {
    expect(isReference('{vault://env/x}')).toBe(true);
    expect(isReference(' {vault://env/x}')).toBe(false);
    expect(isReference(42)).toBe(false);
  });
});
