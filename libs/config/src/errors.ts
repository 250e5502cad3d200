import type { ValueSource } from './source';
import { describeSource } from './source';

export interface ConfigIssue {
  readonly key: string;
  readonly source?: ValueSource;
  readonly message: string;
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.source ? ` (${describeSource(issue.source)})` : '';
  return `${issue.key}${where}: ${issue.message}`;
}

/** The configuration is invalid; `issues` lists every problem found, not just the first. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';

  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      issues.length === 1
        ? `invalid configuration: ${formatIssue(issues[0] as ConfigIssue)}`
        : `invalid configuration (${issues.length} errors):\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}
