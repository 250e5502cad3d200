/**
 * Kong's error responses (`kong/tools/http.lua`, `kong/error_handlers.lua`): a template per
 * media type, carrying the request id (Kong 3.5+), the type chosen from `Accept`.
 */
export type ErrorType = 'application/json' | 'text/plain' | 'text/html' | 'application/xml';

const CONTENT_TYPES: Record<ErrorType, string> = {
  'application/json': 'application/json; charset=utf-8',
  'text/plain': 'text/plain; charset=utf-8',
  'text/html': 'text/html; charset=utf-8',
  'application/xml': 'application/xml; charset=utf-8',
};

const escapeJson = (text: string) => JSON.stringify(text).slice(1, -1);
const escapeMarkup = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderError(type: ErrorType, message: string, requestId: string): string {
  switch (type) {
    case 'application/json':
      return `{\n  "message":"${escapeJson(message)}",\n  "request_id":"${requestId}"\n}`;
    case 'text/plain':
      return `${message}\nrequest_id: ${requestId}\n`;
    case 'text/html':
      return `<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <title>Error</title>\n  </head>\n  <body>\n    <h1>Error</h1>\n    <p>${escapeMarkup(message)}.</p>\n    <p>request_id: ${requestId}</p>\n  </body>\n</html>\n`;
    case 'application/xml':
      return `<?xml version="1.0" encoding="UTF-8"?>\n<error>\n  <message>${escapeMarkup(message)}</message>\n  <requestid>${requestId}</requestid>\n</error>\n`;
  }
}

export function errorContentType(type: ErrorType): string {
  return CONTENT_TYPES[type];
}

const EXACT: Record<string, ErrorType> = {
  'application/json': 'application/json',
  'text/plain': 'text/plain',
  'text/html': 'text/html',
  'application/xml': 'application/xml',
  'application/*': 'application/json',
  'text/*': 'text/plain',
  '*/*': 'application/json',
};

/**
 * Kong's `get_response_type`: the acceptable type with the highest `q` that Kong has a template
 * for; JSON when none is (or for `*\/*`).
 */
export function negotiate(accept: string | undefined, fallback: ErrorType = 'application/json'): ErrorType {
  if (!accept) return fallback;
  let best: ErrorType | undefined;
  let bestQ = -1;
  for (const entry of accept.split(',')) {
    const [range = '', ...params] = entry.split(';');
    const type = EXACT[range.trim().toLowerCase()];
    if (!type) continue;
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split('=');
      if (name?.trim() === 'q') q = Number(value);
    }
    if (q > bestQ && q > 0) {
      best = type;
      bestQ = q;
    }
  }
  return best ?? 'application/json';
}

/** Upstream (nginx-level) errors look at `Accept`, then the request `Content-Type`, then `error_default_type`. */
export function negotiateUpstreamError(accept: string | undefined, contentType: string | undefined, errorDefaultType: ErrorType): ErrorType {
  const source = accept ?? contentType;
  return source ? negotiate(source) : errorDefaultType;
}

/** Kong's messages for errors the proxy itself answers. */
export const MESSAGES = {
  noRoute: 'no Route matched with those values',
  noService: 'no Service found with those values',
  badGateway: 'An invalid response was received from the upstream server',
  unavailable: 'The upstream server is currently unavailable',
  timeout: 'The upstream server is timing out',
  nameResolution: 'name resolution failed',
  noPeer: 'failure to get a peer from the ring-balancer',
  unexpected: 'An unexpected error occurred',
  bodyError: 'Cannot process request body',
  https: 'Please use HTTPS protocol',
} as const;
