import { logLineFormatter } from './children';

describe('cluster up log lines', () => {
  const line = (entry: Record<string, unknown>) => JSON.stringify({ time: '2026-11-30T11:00:01.123Z', pid: 7, app: 'admin', node_id: 'n1', ...entry });

  it('shows time, node name, level and message, with the error message after it', () => {
    const format = logLineFormatter('admin', false);
    expect(format(line({ level: 'info', msg: 'admin started' }))).toBe('11:00:01 admin           info: admin started');
    expect(format(line({ level: 'warn', msg: 'bus: cannot connect', err: { message: 'ECONNREFUSED', stack: 'at ...' } }))).toBe(
      '11:00:01 admin           warn: bus: cannot connect (ECONNREFUSED)',
    );
  });

  it('passes a line that is not JSON through behind the node name', () => {
    expect(logLineFormatter('proxy-1', false)('Error: invalid configuration')).toBe('proxy-1         Error: invalid configuration');
  });

  it('colours the level on a terminal', () => {
    expect(logLineFormatter('admin', true)(line({ level: 'error', msg: 'x' }))).toContain('\u001b[31merror\u001b[39m');
  });
});
