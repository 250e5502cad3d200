import { parseAppArgs } from './app-args';

describe("a node's own command line", () => {
  it('reads -c and --conf as keygate start does', () => {
    expect(parseAppArgs('admin', [])).toEqual({});
    expect(parseAppArgs('admin', ['-c', '/etc/kong/kong.conf'])).toEqual({ conf: '/etc/kong/kong.conf' });
    expect(parseAppArgs('proxy', ['--conf=/tmp/a.conf'])).toEqual({ conf: '/tmp/a.conf' });
  });
});
