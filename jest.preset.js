// Shared jest settings for every project. Tests run from TypeScript sources through swc
// (no type checking here: `npm run typecheck` does that), and `@keygate/*` imports resolve to
// the libraries' sources so a test never runs against a stale build.
const path = require('node:path');

module.exports = {
  testEnvironment: 'node',
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
