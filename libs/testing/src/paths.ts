import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
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

/** `apps/<app>` and every `@keygate/*` library it depends on, transitively. */
function projectsOf(start: string): string[] {
  const seen = new Set<string>();
  const visit = (dir: string) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const name of Object.keys(pkg.dependencies ?? {})) {
      const match = /^@keygate\/([a-z-]+)$/.exec(name);
      if (match && !match[1]!.startsWith('tool-') && !match[1]!.startsWith('app-') && existsSync(join(REPO_ROOT, 'libs', match[1]!))) visit(join('libs', match[1]!));
    }
  };
  visit(start);
  return [...seen];
}

/**
 * Integration tests run the apps from their build, as operators do; a build older than its
 * sources would test old code. Returns the stale projects among `app` (or `bin/keygate`'s CLI)
 * and the libraries it uses (none when the build is current).
 */
export function staleBuilds(app = 'cli'): string[] {
  return projectsOf(join('apps', app)).filter((project) => {
    const built = newest(join(REPO_ROOT, project, 'dist'), (f) => f.endsWith('.js'));
    const source = newest(join(REPO_ROOT, project, 'src'), (f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
    return built === 0 || source > built;
  });
}
