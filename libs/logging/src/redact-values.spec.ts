import { Writable } from 'node:stream';
import { createLogger } from './logger';

describe('createLogger({ redactValues })', () => {
  it('masks values read from vault references inside string values, keeping the JSON and structural fields intact', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: 'info', destination, bindings: { app: 'admin' }, redactValues: ['admin', 'kong_user', 'ab'] });
    logger.info({ target: '127.0.0.1:5432/db as kong_user', listener: 'admin', nested: { list: ['x kong_user y'] } }, 'connected as kong_user');
    logger.info({ port: 5432 }, 'nothing to mask here, ab');
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({ app: 'admin', listener: 'admin', target: '127.0.0.1:5432/db as [REDACTED]', nested: { list: ['x [REDACTED] y'] }, msg: 'connected as [REDACTED]' });
    expect(second).toMatchObject({ port: 5432, msg: 'nothing to mask here, ab' });
  });
});
