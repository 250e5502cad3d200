/** What Kong's `kong.request.get_query()` gives for one name: a value, several, or a bare flag (`?apikey`). */
export type QueryValue = string | string[] | true | undefined;

function decode(text: string): string {
  const plus = text.includes('+') ? text.replace(/\+/g, ' ') : text;
  if (!plus.includes('%')) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}

/** The values of one parameter of a query string (`a=1&b&a=2`), decoded, without parsing the rest. */
export function queryValue(query: string, name: string): QueryValue {
  if (query === '') return undefined;
  let found: QueryValue;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (decode(eq === -1 ? part : part.slice(0, eq)) !== name) continue;
    const value: string | true = eq === -1 ? true : decode(part.slice(eq + 1));
    if (found === undefined) found = value;
    else if (value !== true) found = Array.isArray(found) ? [...found, value] : found === true ? value : [found, value];
  }
  return found;
}

/** The query string without a parameter; the others keep their encoding and order. */
export function withoutQueryParam(query: string, name: string): string {
  return query
    .split('&')
    .filter((part) => part !== '' && decode(part.includes('=') ? part.slice(0, part.indexOf('=')) : part) !== name)
    .join('&');
}
