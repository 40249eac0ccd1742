import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromGraphQLRunStatus, RUN_STATUSES, TERMINAL_RUN_STATUSES, toGraphQLRunStatus, UNFINISHED_RUN_STATUSES } from './run-status';

describe('run statuses', () => {
  it('the committed migrations constrain runs.status to exactly RUN_STATUSES', () => {
    const dir = resolve(__dirname, '../../drizzle');
    const sql = readdirSync(dir)
      .filter((name) => name.endsWith('.sql'))
      .sort()
      .map((name) => readFileSync(resolve(dir, name), 'utf8'))
      .join('\n');
    const definitions = [...sql.matchAll(/"runs_status_check" CHECK \("runs"\."status" in \(([^)]*)\)\)/g)];
    const latest = definitions.at(-1)?.[1];
    expect(latest?.split(',').map((s) => s.trim().replace(/^'|'$/g, ''))).toEqual([...RUN_STATUSES]);
  });

  it('splits into unfinished and terminal, and converts to the GraphQL casing and back', () => {
    expect([...UNFINISHED_RUN_STATUSES, ...TERMINAL_RUN_STATUSES].sort()).toEqual([...RUN_STATUSES].sort());
    expect(RUN_STATUSES.map(toGraphQLRunStatus)).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'DIVERGED', 'LOST', 'PRUNED']);
    expect(RUN_STATUSES.map(toGraphQLRunStatus).map(fromGraphQLRunStatus)).toEqual([...RUN_STATUSES]);
  });
});
