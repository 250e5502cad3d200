import { Clock } from './clock';
import { integer, parseOrExplain } from './cli';

describe('parseOrExplain', () => {
  afterEach(() => {
    process.exitCode = undefined;
    jest.restoreAllMocks();
  });

  it('returns the options, prints the usage for help, and exits 2 with the usage on a bad argument', () => {
    const out = jest.spyOn(process.stdout, 'write').mockReturnValue(true);
    const err = jest.spyOn(process.stderr, 'write').mockReturnValue(true);
    expect(parseOrExplain(() => ({ port: 1 }), 'usage: x')).toEqual({ port: 1 });
    expect(parseOrExplain(() => 'help', 'usage: x')).toBeUndefined();
    expect(out).toHaveBeenCalledWith('usage: x\n');
    expect(process.exitCode).toBeUndefined();
    expect(
      parseOrExplain(() => {
        throw new Error('--port must be a number');
      }, 'usage: x'),
    ).toBeUndefined();
    expect(err).toHaveBeenCalledWith('--port must be a number\nusage: x\n');
    expect(process.exitCode).toBe(2);
  });
});

describe('Clock', () => {
  it('moves forward and back without sleeping', () => {
    const clock = new Clock();
    const before = clock.now().getTime();
    clock.advance(3600);
    expect(clock.now().getTime() - before).toBeGreaterThanOrEqual(3_600_000);
    clock.reset();
    expect(clock.now().getTime() - before).toBeLessThan(60_000);
  });
});

describe('integer', () => {
  it('reads whole numbers and names the flag of anything else', () => {
    expect(integer(undefined, 'port')).toBeUndefined();
    expect(integer('8200', 'port')).toBe(8200);
    expect(() => integer('12a', 'port')).toThrow("--port must be a whole number, not '12a'");
    expect(() => integer('-1', 'token-ttl')).toThrow('--token-ttl must be a whole number');
  });
});
