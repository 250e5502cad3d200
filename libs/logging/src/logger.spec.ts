import { Secret } from '@keygate/crypto';
import { memoryLogger } from './logger';

describe('createLogger', () => {
  const planted = 'planted-log-secret-91ab';

  it('never writes a Secret or a sensitive field', () => {
    const { logger: log, lines } = memoryLogger();
    log.info({ pg_password: new Secret(planted) }, 'connecting');
    log.info({ config: { password: planted, token: planted } }, 'nested');
    log.info({ request: { headers: { authorization: `Basic ${planted}` } } }, 'request');
    log.info({ value: new Secret(planted) }, `message with ${new Secret(planted)}`);
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).not.toContain(planted);
    expect(lines.join('\n')).toContain('[REDACTED]');
  });

  it("maps Kong's levels onto pino's", () => {
    const { logger: log, lines } = memoryLogger('notice');
    log.debug('hidden');
    log.info('shown');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 'info', msg: 'shown' });
  });
});
