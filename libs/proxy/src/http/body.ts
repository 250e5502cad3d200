import busboy from 'busboy';

/** A request body read for a plugin (`key_in_body`), and how to write it back without a field. */
export interface ParsedBody {
  readonly fields: Readonly<Record<string, unknown>>;
  without(name: string): Buffer;
}

export class BodyError extends Error {}

function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/**
 * Kong's `kong.request.get_body()`: form, JSON object or multipart fields, chosen by
 * `Content-Type`. A missing or other type, or a body that does not parse, is an error (Kong's
 * key-auth answers it with 400 `Cannot process request body`).
 */
export async function parseBody(body: Buffer, contentType: string | undefined): Promise<ParsedBody> {
  if (!contentType) throw new BodyError('missing content type');
  const type = mediaType(contentType);
  if (type === 'application/x-www-form-urlencoded') return formBody(body);
  if (type === 'application/json') return jsonBody(body);
  if (type === 'multipart/form-data') return multipartBody(body, contentType);
  throw new BodyError('unsupported content type');
}

function formBody(body: Buffer): ParsedBody {
  const text = body.toString('utf8');
  const params = new URLSearchParams(text);
  const fields: Record<string, unknown> = {};
  for (const name of new Set(params.keys())) {
    const all = params.getAll(name);
    fields[name] = all.length === 1 ? all[0] : all;
  }
  return {
    fields,
    without: (name) => {
      params.delete(name);
      return Buffer.from(params.toString());
    },
  };
}

function jsonBody(body: Buffer): ParsedBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new BodyError('invalid JSON body');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new BodyError('JSON body is not an object');
  const fields = parsed as Record<string, unknown>;
  return {
    fields,
    without: (name) => {
      const { [name]: _removed, ...rest } = fields;
      return Buffer.from(JSON.stringify(rest));
    },
  };
}

async function multipartBody(body: Buffer, contentType: string): Promise<ParsedBody> {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) throw new BodyError('multipart body without boundary');
  const fields: Record<string, unknown> = {};
  await new Promise<void>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: { 'content-type': contentType } });
    } catch (err) {
      reject(new BodyError((err as Error).message));
      return;
    }
    parser.on('field', (name, value) => {
      const prev = fields[name];
      fields[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    });
    parser.on('file', (_name, stream) => stream.resume());
    parser.on('error', (err) => reject(new BodyError((err as Error).message)));
    parser.on('close', () => resolve());
    parser.end(body);
  });
  return {
    fields,
    // Drops the parts named `name`; every other part is kept byte for byte.
    without: (name) => {
      const delimiter = Buffer.from(`--${boundary}`);
      const parts: Buffer[] = [];
      let start = body.indexOf(delimiter);
      while (start !== -1) {
        const next = body.indexOf(delimiter, start + delimiter.length);
        const part = body.subarray(start, next === -1 ? body.length : next);
        const head = part.subarray(0, Math.min(part.length, 1024)).toString('latin1');
        const named = new RegExp(`content-disposition:[^\\r\\n]*\\bname="${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`, 'i').test(head);
        if (!named) parts.push(part);
        start = next;
      }
      return Buffer.concat(parts);
    },
  };
}
