import { negotiate, negotiateUpstreamError, renderError } from './errors';

describe("Kong's proxy error bodies", () => {
  it('renders the exact JSON template with the request id', () => {
    expect(renderError('application/json', 'no Route matched with those values', 'abc')).toBe('{\n  "message":"no Route matched with those values",\n  "request_id":"abc"\n}');
    expect(renderError('text/plain', 'Unauthorized', 'abc')).toBe('Unauthorized\nrequest_id: abc\n');
    expect(renderError('application/json', 'say "hi"', 'x')).toContain('"message":"say \\"hi\\""');
    expect(renderError('text/html', '<b>', 'x')).toContain('<p>&lt;b&gt;.</p>');
    expect(renderError('application/xml', 'm', 'x')).toContain('<requestid>x</requestid>');
  });

  it('chooses the type from Accept (q values, wildcards), JSON by default', () => {
    expect(negotiate(undefined)).toBe('application/json');
    expect(negotiate('*/*')).toBe('application/json');
    expect(negotiate('text/plain')).toBe('text/plain');
    expect(negotiate('text/*')).toBe('text/plain');
    expect(negotiate('application/json;q=0.5, text/html')).toBe('text/html');
    expect(negotiate('image/png')).toBe('application/json');
  });

  it('for upstream errors falls back to Content-Type, then error_default_type', () => {
    expect(negotiateUpstreamError(undefined, undefined, 'text/plain')).toBe('text/plain');
    expect(negotiateUpstreamError(undefined, 'application/json', 'text/plain')).toBe('application/json');
    expect(negotiateUpstreamError('application/xml', 'application/json', 'text/plain')).toBe('application/xml');
  });
});
