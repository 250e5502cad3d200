import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root (this file is libs/testing/src or libs/testing/dist). */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/** Where the harness writes every spawned process's log; `npm test` scans it afterwards. */
export const TEST_LOG_DIR = join(REPO_ROOT, 'tmp', 'test-logs');

function newest(dir: string, accept: (name: string) => boolean): number {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(path, accept));
    else if (accept(entry.name)) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * Integration tests run the apps from their build, as operators do; a build older than its
 * sources would test old code. Returns the stale projects (none when the build is current).
 */
export function staleBuilds(): string[] {
  const stale: string[] = [];
  for (const group of ['apps', 'libs']) {
    for (const name of readdirSync(join(REPO_ROOT, group))) {
      const project = join(REPO_ROOT, group, name);
      if (!existsSync(join(project, 'tsconfig.lib.json')) || name === 'testing') continue;
      const built = newest(join(project, 'dist'), (f) => f.endsWith('.js'));
      const source = newest(join(project, 'src'), (f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
      if (built === 0 || source > built) stale.push(`${group}/${name}`);
    }
  }
  return stale;
}
