import nx from '@nx/eslint-plugin';

/**
 * One lint configuration for the monorepo. `@nx/enforce-module-boundaries` keeps the layers
 * (apps -> feature libs -> domain -> core libs; no feature lib imports another) and fails on
 * import cycles; a restricted-syntax rule keeps `process.env` inside libs/config.
 */
export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: ['**/dist', '**/out-tsc', '**/node_modules', 'tmp', '.keygate', '.nx', 'coverage'],
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allowCircularSelfDependency: false,
          banTransitiveDependencies: false,
          checkDynamicDependenciesExceptions: [],
          depConstraints: [
            // apps -> feature libs -> domain (libs/entities: schemas, DAOs, ports) -> core libs.
            // A feature lib never imports another: what it needs of one is a port in the domain,
            // passed in by the app. type:tool (emulators) and type:testing are for tests only
            // (rule below).
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:feature', 'type:domain', 'type:core', 'type:testing', 'type:tool'] },
            { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:domain', 'type:core', 'type:testing', 'type:tool'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:core', 'type:testing'] },
            { sourceTag: 'type:core', onlyDependOnLibsWithTags: ['type:core', 'type:testing'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:core'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:feature', 'type:domain', 'type:core', 'type:testing', 'type:tool'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:feature', 'type:domain', 'type:core', 'type:testing', 'type:tool'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Only libs/config reads the environment; everything else gets a validated Config.
    files: ['**/*.ts'],
    ignores: ['libs/config/src/env.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'Read settings from Config (libs/config); only libs/config/src/env.ts reads process.env.' },
      ],
    },
  },
  {
    // The test harness is for tests only.
    files: ['apps/*/src/**/*.ts', 'libs/*/src/**/*.ts'],
    ignores: ['**/*.spec.ts', 'libs/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: '@keygate/testing', message: '@keygate/testing is for tests only.' }],
          patterns: [{ group: ['@keygate/tool-*'], message: 'Tools (emulators, benchmarks) are for tests only.' }],
        },
      ],
    },
  },
];
