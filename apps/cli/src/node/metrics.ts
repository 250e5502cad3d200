/** One role's `/metrics` answer (Prometheus text format 0.0.4). */
export interface RoleMetrics {
  readonly role: string;
  readonly text: string;
}

interface Family {
  help?: string;
  type?: string;
  readonly samples: string[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{\s*\}?)?/;
const HEADER = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s(.*))?$/;

/** `name{labels} value` with `role="<role>"` as its first label. */
function labelled(line: string, match: RegExpExecArray, role: string): string {
  const [whole, name, braces] = match;
  const label = `role="${role}"`;
  if (!braces) return `${name}{${label}}${line.slice(whole.length)}`;
  // `{}` (no labels) or `{a="b",...}`: the role label goes first.
  return braces.endsWith('}') ? `${name}{${label}}${line.slice(whole.length)}` : `${name}{${label},${line.slice(whole.length)}`;
}

/** Whether a sample named `sample` belongs to the family `family` (a histogram's `_bucket`, `_sum`, `_count`...). */
function belongs(sample: string, family: string): boolean {
  return sample === family || (sample.startsWith(`${family}_`) && ['_bucket', '_sum', '_count', '_total', '_created', '_info'].includes(sample.slice(family.length)));
}

/**
 * The all-in-one node's `/metrics`: every role's metrics in one exposition, each sample labelled
 * `role` (the roles export the same families: `process_*`, `keygate_node_info`...), and each
 * family once with one HELP and TYPE (the first role's), as Prometheus requires.
 */
export function mergeRoleMetrics(parts: readonly RoleMetrics[]): string {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let found = families.get(name);
    if (!found) {
      found = { samples: [] };
      families.set(name, found);
    }
    return found;
  };
  for (const { role, text } of parts) {
    let current: string | undefined;
    for (const line of text.split('\n')) {
      const header = HEADER.exec(line);
      if (header) {
        const [, kind, name, rest = ''] = header;
        current = name!;
        const target = family(current);
        if (kind === 'HELP') target.help ??= rest;
        else target.type ??= rest;
        continue;
      }
      if (line.trim() === '' || line.startsWith('#')) continue;
      const sample = SAMPLE.exec(line);
      if (!sample) continue;
      const name = sample[1]!;
      family(current !== undefined && belongs(name, current) ? current : name).samples.push(labelled(line, sample, role));
    }
  }
  const out: string[] = [];
  for (const [name, { help, type, samples }] of families) {
    if (help !== undefined) out.push(`# HELP ${name} ${help}`);
    if (type !== undefined) out.push(`# TYPE ${name} ${type}`);
    out.push(...samples);
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
