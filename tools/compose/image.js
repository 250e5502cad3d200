#!/usr/bin/env node
// Local images for the compose cluster where no image registry and no npm registry are reachable
// from container builds (the stand-in base images, then the Keygate image from a tree built on
// the host with tools/compose/Dockerfile.prebuilt). Each is built only when absent or stale.
//   node tools/compose/image.js      (npm run compose:images) prints the KEYGATE_*_IMAGE settings
const { createHash } = require('node:crypto');
const { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } = require('node:fs');
const { join, relative } = require('node:path');
const { Fatal, ROOT, ensureEngine, run } = require('./docker');

const PREFIX = process.env.KEYGATE_STANDIN_PREFIX ?? 'keygate-standin';
const STANDIN = {
  KEYGATE_NODE_IMAGE: `${PREFIX}/node:20-bookworm-slim`,
  KEYGATE_POSTGRES_IMAGE: `${PREFIX}/postgres:16`,
  KEYGATE_REDIS_IMAGE: `${PREFIX}/redis:7`,
};
// What the repository's Dockerfile copies, plus the installed node_modules.
const TREE = ['package.json', 'package-lock.json', 'apps', 'libs', 'tests', 'tools', 'bin', 'tsconfig.base.json', 'tsconfig.json', 'nx.json'];
const SKIP = new Set(['node_modules', '.nx', 'coverage', 'tmp', 'out-tsc']);
const LABEL = 'org.keygate.tree';

/** The stand-ins (tools/compose/base-images.sh builds the absent ones). */
function ensureBaseImages(say) {
  say('base images: building the absent stand-ins (debootstrap; minutes the first time)');
  run('bash', [join(__dirname, 'base-images.sh')], { env: { ...process.env, KEYGATE_STANDIN_PREFIX: PREFIX }, inherit: true });
  return { ...STANDIN };
}

/** Path, size and mtime of every source and build file, the lock file, the base image: the build's inputs. */
function fingerprint(nodeImage) {
  const hash = createHash('sha256');
  const walk = (path) => {
    const st = statSync(path);
    if (st.isDirectory()) {
      for (const entry of readdirSync(path).sort()) if (!SKIP.has(entry)) walk(join(path, entry));
    } else if (!path.endsWith('.tsbuildinfo')) {
      hash.update(`${relative(ROOT, path)}\0${st.size}\0${st.mtimeMs}\n`);
    }
  };
  for (const entry of TREE) walk(join(ROOT, entry));
  hash.update(readFileSync(join(ROOT, 'package-lock.json')));
  hash.update(readFileSync(join(__dirname, 'Dockerfile.prebuilt')));
  hash.update(run('docker', ['image', 'inspect', '--format', '{{.Id}}', nodeImage]));
  return hash.digest('hex').slice(0, 32);
}

/**
 * The Keygate image from the host's tree: npm run build (incremental), then, unless an image with
 * this tree's fingerprint exists, a copy of the tree with dev dependencies pruned, built with
 * Dockerfile.prebuilt.
 */
function ensureKeygateImage(image, nodeImage, say) {
  if (!existsSync(join(ROOT, 'node_modules', '.package-lock.json'))) throw new Fatal('node_modules is missing: run npm ci first');
  run('npm', ['run', '--silent', 'build'], { inherit: true });
  const tree = fingerprint(nodeImage);
  const current = run('docker', ['image', 'inspect', '--format', `{{index .Config.Labels "${LABEL}"}}`, image], { allowFail: true });
  if (current === tree) {
    say(`${image}: current (tree ${tree.slice(0, 12)})`);
    return image;
  }
  const stage = join(ROOT, 'tmp', 'compose', 'image');
  say(`${image}: staging the built tree in tmp/compose/image (npm prune --omit=dev)`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  for (const entry of [...TREE, 'node_modules']) {
    cpSync(join(ROOT, entry), join(stage, entry), {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) => !/(^|\/)(\.nx|coverage|tmp|out-tsc)(\/|$)/.test(relative(ROOT, src)) && !src.endsWith('.tsbuildinfo'),
    });
  }
  run('npm', ['prune', '--omit=dev', '--no-audit', '--no-fund', '--ignore-scripts', '--offline'], { cwd: stage });
  say(`${image}: docker build -f tools/compose/Dockerfile.prebuilt`);
  const previous = run('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { allowFail: true });
  run('docker', ['build', '-q', '-f', join(__dirname, 'Dockerfile.prebuilt'), '--build-arg', `NODE_IMAGE=${nodeImage}`, '--label', `${LABEL}=${tree}`, '-t', image, stage]);
  rmSync(stage, { recursive: true, force: true });
  // The image this one replaces would stay behind untagged at every source change.
  if (previous && previous !== run('docker', ['image', 'inspect', '--format', '{{.Id}}', image])) run('docker', ['rmi', previous], { allowFail: true });
  return image;
}

/** Every image the compose file needs, as KEYGATE_*_IMAGE settings. */
function ensureImages(image, say) {
  const base = ensureBaseImages(say);
  return { ...base, KEYGATE_IMAGE: ensureKeygateImage(image, base.KEYGATE_NODE_IMAGE, say) };
}

module.exports = { ensureBaseImages, ensureImages, ensureKeygateImage };

if (require.main === module) {
  (async () => {
    const say = (line) => console.error(`[compose:images] ${line}`);
    const engine = await ensureEngine(say);
    try {
      const env = ensureImages(process.env.KEYGATE_IMAGE ?? 'keygate:prebuilt', say);
      for (const [key, value] of Object.entries(env)) console.log(`${key}=${value}`);
    } finally {
      await engine.stop();
    }
  })().catch((err) => {
    console.error(err instanceof Fatal ? `FATAL: ${err.message}` : err);
    process.exit(1);
  });
}
