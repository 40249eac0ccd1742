// The architecture rules of eslint.config.mjs, shown to fail. Each case lints a few lines of source as if they
// were a file in the given folder (ESLint's lintText with a virtual filePath), so the deliberate violations
// live here and never in the tree. If a rule is weakened or its globs stop matching, its case fails.
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

/** Lints `code` as the file `path` (relative to the repository root); returns "rule: message" per problem. */
async function lint(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${path}` });
  return (result?.messages ?? []).map((message) => `${message.ruleId}: ${message.message}`);
}

describe('violations are reported with their rule', () => {
  const cases: { name: string; path: string; code: string; rule: string; says: string }[] = [
    {
      name: 'Drizzle imported in apps/api',
      path: 'apps/api/src/lint-fixture.ts',
      code: `import { eq } from 'drizzle-orm';\nexport const byId = eq;\n`,
      rule: 'no-restricted-imports',
      says: 'Persistence lives in packages/db',
    },
    {
      name: 'the pg driver imported in a service',
      path: 'apps/api/src/services/lint-fixture.ts',
      code: `import pg from 'pg';\nexport const Pool = pg.Pool;\n`,
      rule: 'no-restricted-imports',
      says: 'Persistence lives in packages/db',
    },
    {
      name: 'a resolver importing a store',
      path: 'apps/api/src/schema/lint-fixture.ts',
      code: `import { runStore } from '@tuneboard/db';\nexport const find = runStore;\n`,
      rule: 'no-restricted-imports',
      says: 'Resolvers (apps/api/src/schema) are thin adapters',
    },
    {
      name: 'a resolver opening a transaction',
      path: 'apps/api/src/schema/lint-fixture.ts',
      code: `import { inTransaction } from '@tuneboard/db';\nexport const tx = inTransaction;\n`,
      rule: 'no-restricted-imports',
      says: 'call a service',
    },
    {
      name: 'process.env read in a service',
      path: 'apps/api/src/services/lint-fixture.ts',
      code: `export const port = process.env.PORT;\n`,
      rule: 'no-restricted-properties',
      says: 'env module',
    },
    {
      name: 'a service importing graphql',
      path: 'apps/api/src/services/lint-fixture.ts',
      code: `import { GraphQLError } from 'graphql';\nexport const fail = () => new GraphQLError('no');\n`,
      rule: 'no-restricted-imports',
      says: 'Services (apps/api/src/services) are transport-free',
    },
    {
      name: 'a service importing a resolver module',
      path: 'apps/api/src/services/lint-fixture.ts',
      code: `import * as resolvers from '../schema/project';\nexport const all = resolvers;\n`,
      rule: 'import-x/no-restricted-paths',
      says: 'transport-free',
    },
    {
      name: 'store.db outside packages/db',
      path: 'apps/api/src/services/lint-fixture.ts',
      code: `export const rows = (store: { db: { select(): unknown } }) => store.db.select();\n`,
      rule: 'no-restricted-syntax',
      says: 'Only packages/db reaches into the Store',
    },
    {
      name: 'ctx.store.query in a resolver',
      path: 'apps/api/src/schema/lint-fixture.ts',
      code: `export const count = (ctx: { store: { query(sql: string): unknown } }) => ctx.store.query('select 1');\n`,
      rule: 'no-restricted-syntax',
      says: 'Only packages/db reaches into the Store',
    },
    {
      name: 'this.store.transaction in a class',
      path: 'apps/api/src/lint-fixture.ts',
      code: `export class X {\n  constructor(private store: { transaction(f: () => void): void }) {}\n  run() {\n    this.store.transaction(() => {});\n  }\n}\n`,
      rule: 'no-restricted-syntax',
      says: 'Only packages/db reaches into the Store',
    },
    {
      name: 'the handle destructured from the store',
      path: 'apps/api/src/lint-fixture.ts',
      code: `export const handle = (store: { db: unknown }) => {\n  const { db } = store;\n  return db;\n};\n`,
      rule: 'no-restricted-syntax',
      says: 'Only packages/db reaches into the Store',
    },
    {
      name: 'the web app importing API runtime code',
      path: 'apps/web/src/lib/lint-fixture.ts',
      code: `import { accounts } from '@tuneboard/api';\nexport const a = accounts;\n`,
      rule: 'no-restricted-imports',
      says: 'apps/web talks to apps/api over GraphQL only',
    },
    {
      name: 'the web app reaching into apps/api/src by a relative path',
      path: 'apps/web/src/lib/lint-fixture.ts',
      code: `import { readEnv } from '../../../api/src/env';\nexport const env = readEnv;\n`,
      rule: 'import-x/no-restricted-paths',
      says: 'apps/web talks to apps/api over GraphQL only',
    },
    {
      name: 'the web app importing the database package',
      path: 'apps/web/src/lib/lint-fixture.ts',
      code: `import { runStore } from '@tuneboard/db';\nexport const runs = runStore;\n`,
      rule: 'no-restricted-imports',
      says: 'apps/web reads and writes data through the API',
    },
    {
      name: 'a package importing an app',
      path: 'packages/worker/src/lint-fixture.ts',
      code: `import { startServer } from '@tuneboard/api';\nexport const start = startServer;\n`,
      rule: 'no-restricted-imports',
      says: 'must not import apps/*',
    },
    {
      name: 'an undeclared dependency',
      path: 'packages/filter/src/lint-fixture.ts',
      code: `import { z } from 'zod';\nexport const schema = z.string();\n`,
      rule: 'import-x/no-extraneous-dependencies',
      says: "'zod' should be listed in the project's dependencies",
    },
    {
      name: 'a devDependency used by library code',
      path: 'packages/db/src/lint-fixture.ts',
      code: `import fc from 'fast-check';\nexport const arbitrary = fc.integer();\n`,
      rule: 'import-x/no-extraneous-dependencies',
      says: "should be listed in the project's dependencies, not devDependencies",
    },
  ];

  for (const { name, path, code, rule, says } of cases) {
    it(name, async () => {
      const problems = await lint(path, code);
      expect(
        problems.some((problem) => problem.startsWith(`${rule}: `) && problem.includes(says)),
        problems.join('\n') || 'no problems',
      ).toBe(true);
    });
  }
});

describe('what the layers allow is not reported', () => {
  const cases: { name: string; path: string; code: string }[] = [
    {
      name: 'packages/db using Drizzle and the store handle',
      path: 'packages/db/src/stores/lint-fixture.ts',
      code: `import { eq } from 'drizzle-orm';\nexport const rows = (store: { db: { select(): unknown } }) => [eq, store.db.select()];\n`,
    },
    {
      name: 'a resolver importing row types and vocabulary from @tuneboard/db',
      path: 'apps/api/src/schema/lint-fixture.ts',
      code: `import { toGraphQLRunStatus, type Run } from '@tuneboard/db';\nexport const status = (run: Run) => toGraphQLRunStatus(run.status);\n`,
    },
    {
      name: "the API's env module reading process.env",
      path: 'apps/api/src/env.ts',
      code: `export const port = process.env.PORT;\n`,
    },
    {
      name: 'a test reading its own knobs',
      path: 'apps/api/test/lint-fixture.test.ts',
      code: `export const url = process.env.TEST_DATABASE_URL;\n`,
    },
  ];

  for (const { name, path, code } of cases) {
    it(name, async () => {
      expect(await lint(path, code)).toEqual([]);
    });
  }
});
