// Compares each project's sources with its build output. Used by `npm start` (to build only
// when needed) and by the jest global setup (to refuse a stale build).
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..', '..');

function newestMtime(dir, filter) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path, filter));
    else if (filter(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function projects() {
  return ['apps', 'libs'].flatMap((group) =>
    readdirSync(join(ROOT, group), { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(ROOT, group, e.name, 'tsconfig.lib.json')))
      .map((e) => join(group, e.name)),
  );
}

/** Projects whose dist is missing or older than a non-test source file. */
function checkBuildFresh() {
  const isSource = (name) => name.endsWith('.ts') && !name.endsWith('.spec.ts');
  return projects().filter((project) => {
    const built = newestMtime(join(ROOT, project, 'dist'), (name) => name.endsWith('.js'));
    const source = newestMtime(join(ROOT, project, 'src'), isSource);
    return built === 0 || source > built;
  });
}

module.exports = { checkBuildFresh, projects, ROOT };
