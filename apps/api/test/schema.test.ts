import { generate } from '@graphql-codegen/cli';
import { RUN_STATUSES, TERMINAL_RUN_STATUSES, toGraphQLRunStatus, type GraphQLRunStatus } from '@tuneboard/db';
import type { RunOutcome as SdkRunOutcome, RunStatus as SdkRunStatus } from '@tuneboard/sdk';
import { readFileSync } from 'node:fs';
import { buildSchema, type GraphQLEnumType } from 'graphql';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { RunOutcome, RunStatus } from '../src/generated/resolvers-types';
import { assertDistinctTypeNames, printPublishedSchema } from '../src/schema/index';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

describe('the published GraphQL contract', () => {
  it('apps/api/schema.graphql is exactly the schema the server serves (run `npm run generate -w @tuneboard/api`)', () => {
    expect(read('../schema.graphql')).toBe(printPublishedSchema());
  });

  it('the generated resolver types match schema.graphql', async () => {
    const config = (await import('../codegen')).default;
    const cwd = process.cwd();
    process.chdir(new URL('..', import.meta.url).pathname);
    try {
      const [output] = await generate({ ...config, silent: true } as never, false);
      expect((output as { content: string }).content).toBe(read('../src/generated/resolvers-types.ts'));
    } finally {
      process.chdir(cwd);
    }
  });

  it('refuses two domains defining one type name, which makeExecutableSchema would merge silently', () => {
    expect(() => assertDistinctTypeNames(['input FinishRunInput { runId: ID! leaseToken: ID! }', 'input FinishRunInput { runId: ID! }'])).toThrow(
      'The GraphQL type FinishRunInput is defined twice; rename one, or add to the other with `extend`',
    );
    expect(() => assertDistinctTypeNames(['type Run { id: ID! }', 'extend type Run { parent: Run }', 'scalar JSON'])).not.toThrow();
  });

  it('spells the run statuses of packages/db, in upper case, and the SDK names the same ones', () => {
    const schema = buildSchema(read('../schema.graphql'));
    const values = (name: string) => (schema.getType(name) as GraphQLEnumType).getValues().map((v) => v.name);
    expect(values('RunStatus')).toEqual(RUN_STATUSES.map(toGraphQLRunStatus));
    // A worker reports how a run ended: a terminal status, but not cancelled (cancelling is the user's) nor pruned (pruneRun's).
    expect(values('RunOutcome')).toEqual(TERMINAL_RUN_STATUSES.filter((s) => s !== 'cancelled' && s !== 'pruned').map(toGraphQLRunStatus));
    expectTypeOf<RunStatus>().toEqualTypeOf<GraphQLRunStatus>();
    expectTypeOf<SdkRunStatus>().toEqualTypeOf<RunStatus>();
    expectTypeOf<SdkRunOutcome>().toEqualTypeOf<RunOutcome>();
  });
});
