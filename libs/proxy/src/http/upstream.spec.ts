import { classifyUpstreamError, mayRetry } from './upstream';

const err = (code: string) => Object.assign(new Error(code), { code });

describe('upstream failures as Kong answers them', () => {
  it.each([
    ['ECONNREFUSED', 503, 'The upstream server is currently unavailable', false],
    ['ENOTFOUND', 503, 'name resolution failed', false],
    ['UND_ERR_CONNECT_TIMEOUT', 504, 'The upstream server is timing out', false],
    ['UND_ERR_HEADERS_TIMEOUT', 504, 'The upstream server is timing out', true],
    ['UND_ERR_SOCKET', 502, 'An invalid response was received from the upstream server', true],
    ['HPE_INVALID_CONSTANT', 502, 'An invalid response was received from the upstream server', true],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 502, 'An invalid response was received from the upstream server', false],
    ['UND_ERR_INVALID_ARG', 500, 'An unexpected error occurred', true],
  ])('%s -> %i', (code, status, message, sent) => {
    expect(classifyUpstreamError(err(code))).toEqual({ status, message, sent, code });
  });

  it('retries what may have reached the upstream only for idempotent methods', () => {
    const sent = classifyUpstreamError(err('UND_ERR_SOCKET'));
    const refused = classifyUpstreamError(err('ECONNREFUSED'));
    expect(mayRetry('GET', sent)).toBe(true);
    expect(mayRetry('POST', sent)).toBe(false);
    expect(mayRetry('POST', refused)).toBe(true);
    expect(mayRetry('GET', classifyUpstreamError(err('UND_ERR_INVALID_ARG')))).toBe(false);
  });
});
