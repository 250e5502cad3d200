import { decodeNodeConfig, encodeNodeConfig, NODE_CONFIG_FORMAT } from './aws-secret';

describe('the node configuration text (what keygate ott-init prints and the secret holds)', () => {
  const doc = { format: NODE_CONFIG_FORMAT, app: 'proxy', settings: { pg_host: 'db.internal', pg_password: '{vault://aws/db/pg_password}' } } as const;

  it('round-trips, also wrapped over several lines and as base64url', () => {
    const text = encodeNodeConfig(doc);
    expect(decodeNodeConfig(text)).toEqual(doc);
    expect(decodeNodeConfig(text.replace(/(.{20})/g, '$1\n'))).toEqual(doc);
    expect(decodeNodeConfig(Buffer.from(JSON.stringify(doc)).toString('base64url'))).toEqual(doc);
  });

  it.each([
    ['not base64', 'pg_host=db.internal', 'its value is not base64'],
    ['empty', '  ', 'its value is not base64'],
    ['base64 of something that is not JSON', Buffer.from('pg_host = db').toString('base64'), 'does not decode to a Keygate node configuration (JSON)'],
    ['JSON of another kind', Buffer.from(JSON.stringify({ username: 'x' })).toString('base64'), `not to a Keygate node configuration (format ${NODE_CONFIG_FORMAT})`],
    ['a setting that is not a string', Buffer.from(JSON.stringify({ format: NODE_CONFIG_FORMAT, settings: { pg_port: 5432 } })).toString('base64'), 'setting pg_port in it is not a string'],
  ])('refuses %s, saying so', (_label, text, message) => {
    expect(() => decodeNodeConfig(text)).toThrow(message);
  });
});
