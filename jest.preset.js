// Shared jest settings for every project. Tests run from TypeScript sources through swc
// (no type checking here: `npm run typecheck` does that), and `@keygate/*` imports resolve to
// the libraries' sources so a test never runs against a stale build.
const path = require('node:path');

module.exports = {
  testEnvironment: 'node',
  // Specs wait for what the cluster does (a resync every 10 s, a heartbeat, a reconnect with
  // backoff), each wait with its own bound; this only stops a test that hangs. Here for a project
  // run on its own (`npx jest` in apps/proxy); the root config reads it from here.
  testTimeout: 60_000,
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@keygate/tool-([a-z-]+)$': path.join(__dirname, 'tools/$1/src/index.ts'),
    '^@keygate/([a-z-]+)$': path.join(__dirname, 'libs/$1/src/index.ts'),
    // A lib's second entry point (`@keygate/vaults/service`: its package.json `exports`).
    '^@keygate/([a-z-]+)/([a-z-]+)$': path.join(__dirname, 'libs/$1/src/$2/index.ts'),
  },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  coveragePathIgnorePatterns: ['/node_modules/', '/dist/'],
};
