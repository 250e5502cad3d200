#!/usr/bin/env node
// Keeps TypeScript project references in step with the code: each project's tsconfig.lib.json
// references the @keygate/* packages its package.json depends on; its tsconfig.spec.json also
// those its tests import; the root tsconfig.json references every project.
// `--check` changes nothing and exits 1 when a file is out of date (run by `npm test`).
const { readFileSync, readdirSync, writeFileSync, existsSync } = require('node:fs');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const check = process.argv.includes('--check');

const projects = ['apps', 'libs', 'tests', 'tools']
  .flatMap((group) => readdirSync(join(ROOT, group)).map((name) => join(group, name)))
  .filter((dir) => existsSync(join(ROOT, dir, 'tsconfig.json')));

const byPackage = new Map(
  projects.map((dir) => [JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')).name, dir]),
);

function specImports(dir) {
  const found = new Set();
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.spec.ts') || d.includes(`${dir}/test`)) {
        for (const m of readFileSync(path, 'utf8').matchAll(/from '(@keygate\/[a-z-]+)(?:\/[a-z-]+)?'/g)) found.add(m[1]);
      }
    }
  };
  walk(join(ROOT, dir, 'src'));
  walk(join(ROOT, dir, 'test'));
  return found;
}

const stale = [];
function update(file, mutate) {
  const path = join(ROOT, file);
  const before = readFileSync(path, 'utf8');
  const json = JSON.parse(before);
  mutate(json);
  const after = `${JSON.stringify(json, null, 2)}\n`;
  if (after !== before) {
    stale.push(file);
    if (!check) writeFileSync(path, after);
  }
}

const refsTo = (fromDir, packages, file) =>
  [...packages]
    .filter((name) => byPackage.has(name))
    .sort()
    .map((name) => ({ path: `${relative(join(ROOT, fromDir), join(ROOT, byPackage.get(name)))}/${file}` }));

for (const dir of projects) {
  const pkg = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8'));
  const deps = new Set(Object.keys(pkg.dependencies ?? {}));
  const hasLib = existsSync(join(ROOT, dir, 'tsconfig.lib.json'));
  if (hasLib) {
    update(join(dir, 'tsconfig.lib.json'), (json) => {
      json.references = refsTo(dir, deps, 'tsconfig.lib.json');
    });
  }
  const own = pkg.name;
  const tested = new Set([...specImports(dir)].filter((name) => name !== own));
  update(join(dir, 'tsconfig.spec.json'), (json) => {
    json.references = [...(hasLib ? [{ path: './tsconfig.lib.json' }] : []), ...refsTo(dir, tested, 'tsconfig.lib.json')];
  });
}
update('tsconfig.json', (json) => {
  json.references = projects.sort().map((dir) => ({ path: `./${dir}` }));
});

if (stale.length > 0) {
  if (check) {
    console.error(`TypeScript project references are out of date in: ${stale.join(', ')}\nrun: node tools/scripts/sync-tsconfig.js`);
    process.exit(1);
  }
  console.log(`updated: ${stale.join(', ')}`);
}
