import { clientAddress, downstreamHeaders, TrustedIps } from './forward';

describe('forwarding headers', () => {
  it('trusts only the configured addresses and blocks (trusted_ips)', () => {
    const trusted = new TrustedIps(['10.0.0.0/8', '::1', 'unix:']);
    expect(trusted.has('10.1.2.3')).toBe(true);
    expect(trusted.has('::1')).toBe(true);
    expect(trusted.has('11.0.0.1')).toBe(false);
    expect(new TrustedIps([]).has('10.1.2.3')).toBe(false);
    expect(new TrustedIps(['0.0.0.0/0', '::/0']).has('203.0.113.9')).toBe(true);
    expect(clientAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
  });

  it('drops hop-by-hop response headers and those the upstream lists in Connection', () => {
    expect(downstreamHeaders({ 'content-type': 'text/plain', connection: 'keep-alive, x-hop', 'x-hop': '1', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', 'set-cookie': ['a=1', 'b=2'], via: 'x' }, true)).toEqual([
      'content-type',
      'text/plain',
      'set-cookie',
      'a=1',
      'set-cookie',
      'b=2',
    ]);
  });
});
