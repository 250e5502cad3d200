export interface HttpResult<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed JSON body (undefined when empty or not JSON). */
  readonly json: T;
}

export type Body = { json: unknown } | { form: Record<string, string> } | { multipart: Record<string, string> } | { raw: string; type: string };

function encode(body: Body | undefined): { body?: RequestInit['body']; headers: Record<string, string> } {
  if (!body) return { headers: {} };
  if ('json' in body) return { body: JSON.stringify(body.json), headers: { 'content-type': 'application/json' } };
  if ('form' in body) return { body: new URLSearchParams(body.form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  if ('multipart' in body) {
    const data = new FormData();
    for (const [k, v] of Object.entries(body.multipart)) data.append(k, new Blob([v]), `${k}.txt`);
    return { body: data, headers: {} };
  }
  return { body: body.raw, headers: { 'content-type': body.type } };
}

/** A small client for the Admin API (and other JSON HTTP APIs) in tests; `headers` go with every request (e.g. `Kong-Admin-Token`). */
export function httpClient(base: string, headers: Record<string, string> = {}) {
  async function request<T = Record<string, unknown>>(method: string, path: string, body?: Body): Promise<HttpResult<T>> {
    const encoded = encode(body);
    const res = await fetch(`${base}${path}`, { method, body: encoded.body ?? null, headers: { ...headers, ...encoded.headers }, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    let json: T;
    try {
      json = (text ? JSON.parse(text) : undefined) as T;
    } catch {
      json = undefined as T;
    }
    return { status: res.status, headers: res.headers, text, json };
  }
  return {
    request,
    get: <T = Record<string, unknown>>(path: string) => request<T>('GET', path),
    post: <T = Record<string, unknown>>(path: string, body?: Body) => request<T>('POST', path, body),
    patch: <T = Record<string, unknown>>(path: string, body?: Body) => request<T>('PATCH', path, body),
    put: <T = Record<string, unknown>>(path: string, body?: Body) => request<T>('PUT', path, body),
    delete: (path: string) => request('DELETE', path),
  };
}

export type HttpClient = ReturnType<typeof httpClient>;
