// ESLint for the whole monorepo. Besides a modest rule set (eslint + typescript-eslint "recommended", not
// type-checked: fast enough to run in `npm test`), this file encodes Tuneboard's layers. Read it top to bottom:
//
//   apps/web ──(GraphQL over HTTP; shares only apps/api/schema.graphql)──▶ apps/api
//   apps/api/src/schema   resolvers: thin adapters, parse args → call a service → return
//        │
//        ▼
//   apps/api/src/services  transport-free domain logic: no GraphQL, throws services/errors.ts
//        │
//        ▼
//   packages/db            owns persistence: Drizzle, SQL, pg and PGlite live only here (stores)
//
//   packages/*             libraries; they never import apps/*
//   process.env            is read in one env module per app/package, everything else gets values passed in
//
// Each architecture rule carries a message that says why, so a violation explains the layer it crosses.
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const CODE = ['**/*.{ts,tsx,mts,cts,js,mjs,cjs}'];

// Files that are not part of a running app or library: tests, test harnesses, benchmarks, tool configs, scripts.
// They may use devDependencies and read process.env (TEST_DATABASE_URL, BENCH_*, …) directly.
const TESTS = ['**/*.test.{ts,tsx}', '**/test/**', 'tests/**', '**/testing.ts', '**/migration-testing.ts', '**/test-configs.ts'];
const TOOLING = [
  '**/bench/**',
  'bench/**',
  'scripts/**',
  '**/scripts/**',
  'examples/**',
  '**/*.config.{ts,mts,js,mjs,cjs}',
  '**/codegen.ts',
  'eslint.config.mjs',
];

// ── Persistence belongs to packages/db ─────────────────────────────────────────────────────────────────────────
const PERSISTENCE_MESSAGE =
  'Persistence lives in packages/db: call a store (`@tuneboard/db` stores, e.g. runStore) or a service instead of using the database driver or Drizzle here.';
const persistence = {
  paths: [
    { name: 'drizzle-orm', message: PERSISTENCE_MESSAGE },
    { name: 'pg', message: PERSISTENCE_MESSAGE },
    { name: '@electric-sql/pglite', message: PERSISTENCE_MESSAGE },
  ],
  patterns: [{ group: ['drizzle-orm/*', '@electric-sql/pglite/*', 'drizzle-kit', 'drizzle-kit/*'], message: PERSISTENCE_MESSAGE }],
};

// ── Libraries never depend on applications ─────────────────────────────────────────────────────────────────────
const PACKAGES_MESSAGE = 'packages/* are libraries used by the apps; they must not import apps/* (that would make a cycle between layers).';
const noApps = {
  paths: [
    { name: '@tuneboard/api', message: PACKAGES_MESSAGE },
    { name: '@tuneboard/web', message: PACKAGES_MESSAGE },
  ],
  patterns: [{ group: ['@tuneboard/api/*', '@tuneboard/web/*'], message: PACKAGES_MESSAGE }],
};

// ── The web app talks to the API over GraphQL only ─────────────────────────────────────────────────────────────
const WEB_MESSAGE =
  'apps/web talks to apps/api over GraphQL only: use the typed documents generated from apps/api/schema.graphql (src/graphql/generated), not API runtime modules.';
const WEB_DATA_MESSAGE = 'apps/web reads and writes data through the API (GraphQL), never through the database package: the API enforces access.';
const webContract = {
  paths: [
    { name: '@tuneboard/api', message: WEB_MESSAGE },
    { name: '@tuneboard/db', message: WEB_DATA_MESSAGE },
  ],
  patterns: [
    { group: ['@tuneboard/api/*'], message: WEB_MESSAGE },
    { group: ['@tuneboard/db/*'], message: WEB_DATA_MESSAGE },
  ],
};

// ── Resolvers call services, not stores ────────────────────────────────────────────────────────────────────────
// Row types and vocabulary (toGraphQLRunStatus, …) from @tuneboard/db are fine; the store namespaces are not.
const STORES = ['accountStore', 'projectStore', 'runStore', 'findingStore', 'metricStore', 'queueStore', 'invitationStore', 'inTransaction', 'openStore'];
const RESOLVER_MESSAGE =
  'Resolvers (apps/api/src/schema) are thin adapters: parse the arguments and call a service (apps/api/src/services), which uses the stores. The CLI calls the same services.';
const resolversUseServices = {
  paths: [{ name: '@tuneboard/db', importNames: STORES, message: RESOLVER_MESSAGE }],
  patterns: [{ group: ['@tuneboard/db/*', '!@tuneboard/db/schema'], message: RESOLVER_MESSAGE }],
};

// ── Services are transport-free ────────────────────────────────────────────────────────────────────────────────
const SERVICES_MESSAGE =
  'Services (apps/api/src/services) are transport-free: they take a Scope or a Store and throw the domain errors of services/errors.ts; schema/domain-errors.ts maps them to GraphQL errors.';
const servicesTransportFree = {
  paths: [{ name: 'graphql', message: SERVICES_MESSAGE }],
  patterns: [
    { group: ['graphql/*', 'graphql-ws', 'graphql-ws/*', '@apollo/*', '@graphql-tools/*'], message: SERVICES_MESSAGE },
    // Relative imports of ../schema and ../generated are caught by import-x/no-restricted-paths below.
  ],
};

/** `no-restricted-imports` options for one layer: later flat-config objects replace a rule's options, so each
 * layer's entry lists every restriction that applies to it. */
const restrictImports = (...groups) => ['error', { paths: groups.flatMap((g) => g.paths ?? []), patterns: groups.flatMap((g) => g.patterns ?? []) }];

// ── Only the store reaches the database handle ─────────────────────────────────────────────────────────────────
const STORE_HANDLE_MESSAGE =
  'Only packages/db reaches into the Store (store.db / store.query / store.transaction): add or call a store function in packages/db/src/stores instead.';
const HANDLE_MEMBERS = '/^(db|query|transaction|\\$client)$/';
const storeHandle = [
  'error',
  // store.db, store.query(…), store.transaction(…)
  { selector: `MemberExpression[object.type='Identifier'][object.name='store'][property.name=${HANDLE_MEMBERS}]`, message: STORE_HANDLE_MESSAGE },
  // ctx.store.db, this.store.query, scope.store.transaction
  {
    selector: `MemberExpression[object.type='MemberExpression'][object.property.name='store'][property.name=${HANDLE_MEMBERS}]`,
    message: STORE_HANDLE_MESSAGE,
  },
  // const { db } = store / ctx.store
  {
    selector: `VariableDeclarator[init.name='store'] > ObjectPattern > Property[key.name=${HANDLE_MEMBERS}], VariableDeclarator[init.property.name='store'] > ObjectPattern > Property[key.name=${HANDLE_MEMBERS}]`,
    message: STORE_HANDLE_MESSAGE,
  },
];

// ── Configuration comes from one env module per app/package ────────────────────────────────────────────────────
const ENV_MESSAGE =
  "Read process.env only in this app's or package's env module (src/env.ts, e.g. apps/api/src/env.ts) and pass values in, so configuration is validated once and visible in one place.";
const ENV_MODULES = [
  // By convention each app or package that has settings reads them in src/env.ts (apps/api, apps/web, packages/trainer).
  '{apps,packages}/*/src/env.ts',
  // The SDK runs in users' own code: its documented defaults (TUNEBOARD_API_URL, TUNEBOARD_TOKEN) are read by
  // the one `env` helper in client.ts, which also guards against a runtime without `process`.
  'packages/sdk/src/client.ts',
];

// Who may declare which dependency: each workspace's package.json (found next to the linted file).
const DEV_DEPENDENCY_FILES = [...TESTS, ...TOOLING].map((glob) => (glob.startsWith('**/') ? glob : `**/${glob}`));

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/.next/**',
      '**/.turbo/**',
      '**/coverage/**',
      '**/test-artifacts/**',
      '**/.tuneboard/**',
      // Generated from the GraphQL schema by `npm run generate`; not edited by hand.
      'apps/api/src/generated/**',
      'apps/web/src/graphql/generated/**',
      'apps/web/next-env.d.ts',
    ],
  },
  { files: CODE, ...js.configs.recommended },
  ...tseslint.configs.recommended.map((config) => ({ ...config, files: config.files ?? CODE })),
  {
    files: CODE,
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.mts', '.js', '.mjs', '.json'] })],
    },
    rules: {
      // The codebase marks deliberately unused parameters and bindings with a leading underscore.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // House style: `if (x) (a = 1), stop();` — a comma sequence as a two-statement branch.
      '@typescript-eslint/no-unused-expressions': 'off',
      // Input sanitizers match control characters on purpose (safe-next-path, the filter's string checks).
      'no-control-regex': 'off',

      // No undeclared dependencies: every import of a package must be declared in the nearest package.json
      // (npm hoisting would otherwise hide a missing declaration until someone installs the package alone).
      'import-x/no-extraneous-dependencies': ['error', { devDependencies: DEV_DEPENDENCY_FILES, optionalDependencies: true, peerDependencies: true }],

      'no-restricted-imports': restrictImports(persistence),
      'no-restricted-syntax': storeHandle,
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: ENV_MESSAGE }],
    },
  },
  {
    files: ['apps/web/**'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: { 'no-restricted-imports': restrictImports(persistence, webContract) },
  },
  {
    files: ['packages/**'],
    ignores: ['packages/db/**'],
    rules: { 'no-restricted-imports': restrictImports(persistence, noApps) },
  },
  {
    files: ['apps/api/src/schema/**'],
    rules: { 'no-restricted-imports': restrictImports(persistence, resolversUseServices) },
  },
  {
    files: ['apps/api/src/services/**'],
    rules: { 'no-restricted-imports': restrictImports(persistence, servicesTransportFree) },
  },
  {
    // packages/db is the persistence layer: it owns the driver, Drizzle and the Store's handle.
    files: ['packages/db/**'],
    rules: { 'no-restricted-imports': restrictImports(noApps), 'no-restricted-syntax': 'off' },
  },
  {
    // Path-based boundaries (they follow relative imports, which the name-based rules above cannot see).
    files: CODE,
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: import.meta.dirname,
          zones: [
            { target: './packages', from: './apps', message: PACKAGES_MESSAGE },
            {
              target: './apps/web',
              from: './apps/api',
              except: ['./schema.graphql', './src/generated'],
              message: WEB_MESSAGE,
            },
            { target: './apps/api/src/services', from: './apps/api/src/schema', message: SERVICES_MESSAGE },
            { target: './apps/api/src/services', from: './apps/api/src/generated', message: SERVICES_MESSAGE },
          ],
        },
      ],
    },
  },
  {
    files: ENV_MODULES,
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Tests, harnesses, benchmarks, configs and scripts are entry points or test setup, not app code: they
    // read their own knobs (TEST_DATABASE_URL, BENCH_*, CI, …) directly.
    files: [...TESTS, ...TOOLING],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Tests and benchmarks may put the database into states no store should offer (an expired token, a held
    // lock, `analyze`) with store.query; prefer stores and @tuneboard/db/testing helpers where they exist.
    // They still may not import Drizzle or a driver (the rule above), and `any` is tolerated in test doubles.
    files: [...TESTS, 'bench/**', '**/bench/**'],
    rules: { 'no-restricted-syntax': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
