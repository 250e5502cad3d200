/**
 * Reader for kong.conf syntax: `key = value` lines, `#` comments (also after a value; write
 * `\#` for a literal `#`), blank lines. Values are trimmed; an empty value means "unset", as in
 * Kong's loader.
 */
export interface ConfEntry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

export interface ConfSyntaxError {
  readonly line: number;
  readonly message: string;
}

export interface ParsedConf {
  readonly entries: readonly ConfEntry[];
  readonly errors: readonly ConfSyntaxError[];
}

const KEY_PATTERN = /^[a-z][a-z0-9_]*$/;

export function parseKongConf(text: string): ParsedConf {
  const entries: ConfEntry[] = [];
  const errors: ConfSyntaxError[] = [];
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = index + 1;
    const content = stripComment(rawLine).trim();
    if (content === '') return;
    const eq = content.indexOf('=');
    if (eq <= 0) {
      errors.push({ line, message: `expected 'key = value', got '${truncate(content)}'` });
      return;
    }
    const key = content.slice(0, eq).trim();
    if (!KEY_PATTERN.test(key)) {
      errors.push({ line, message: `invalid key name '${truncate(key)}' (lowercase letters, digits and '_')` });
      return;
    }
    entries.push({ key, value: content.slice(eq + 1).trim(), line });
  });
  return { entries, errors };
}

function stripComment(line: string): string {
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '\\' && line[i + 1] === '#') {
      out += '#';
      i++;
    } else if (ch === '#') {
      break;
    } else {
      out += ch;
    }
  }
  return out;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
