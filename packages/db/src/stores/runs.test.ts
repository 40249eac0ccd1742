import { parseExpression, type Expr } from '@tuneboard/filter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendMetrics } from './metrics/index';
import { projects, teams } from '../schema/index';
import { testDatabases, type TestStore } from '../testing';
import { countRuns, insertRun, listRuns, runById, updateRunIfUnchanged, type RunListOrder } from './runs';

function filter(text: string): Expr | null {
  const parsed = parseExpression(text);
  if (!parsed.ok) throw new Error(text);
  return parsed.ast;
}

for (const database of testDatabases()) {
  describe(`run store on ${database.name}`, () => {
    let store: TestStore;
    let projectId: string;
    /** Run ids by name, created a, b, c, d in that order. */
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      store = await database.open();
      const [team] = await store.db.insert(teams).values({ name: 'ml' }).returning();
      const [project] = await store.db.insert(projects).values({ teamId: team!.id, name: 'mnist' }).returning();
      projectId = project!.id;
      const batchSizes = { a: 128, b: 8, c: 16, d: undefined };
      for (const [name, batchSize] of Object.entries(batchSizes)) {
        const run = await insertRun(store, {
          projectId,
          name,
          config: {},
          flatParams: batchSize === undefined ? {} : { batchSize },
          createdAt: new Date(Date.UTC(2026, 0, 1, 0, Object.keys(ids).length)),
        });
        ids[name] = run.id;
      }
      await appendMetrics(store, ids.a!, [{ key: 'loss', steps: [0], values: [0.5] }]);
      await appendMetrics(store, ids.c!, [{ key: 'loss', steps: [0], values: [0.2] }]);
      // Opening PGlite applies every migration: slow on a busy machine.
    }, 60_000);
    afterAll(() => store?.destroy());

    const names = async (orderBy: RunListOrder | null, options: { filter?: string; offset?: number; limit?: number; ids?: string[] } = {}) =>
      (
        await listRuns(
          store,
          { projectId, filter: filter(options.filter ?? ''), ids: options.ids ?? null },
          { orderBy, limit: options.limit ?? 10, offset: options.offset ?? 0 },
        )
      ).map((run) => run.name);

    it('sorts newest first by default, and by name, a hyperparameter (missing last) or a metric (runs without it last)', async () => {
      expect(await names(null)).toEqual(['d', 'c', 'b', 'a']);
      expect(await names({ field: 'NAME', direction: 'ASC' })).toEqual(['a', 'b', 'c', 'd']);
      expect(await names({ field: 'PARAM', path: 'batchSize', direction: 'ASC' })).toEqual(['b', 'c', 'a', 'd']);
      expect(await names({ field: 'METRIC_LAST', metric: 'loss', direction: 'ASC' })).toEqual(['c', 'a', 'd', 'b']);
      expect(await names({ field: 'METRIC_LAST', metric: 'loss', direction: 'DESC' }, { offset: 1, limit: 2 })).toEqual(['c', 'd']);
      expect(await names({ field: 'METRIC_LAST', metric: 'loss', direction: 'DESC' }, { offset: 3 })).toEqual(['b']);
    });

    it('selects by filter and ids, and counts the same selection', async () => {
      expect(await names(null, { filter: 'batchSize <= 16' })).toEqual(['c', 'b']);
      expect(await countRuns(store, { projectId, filter: filter('batchSize <= 16') })).toBe(2);
      expect(await names(null, { ids: [ids.a!, ids.d!, crypto.randomUUID()] })).toEqual(['d', 'a']);
      expect(await names(null, { ids: [] })).toEqual([]);
      expect(await countRuns(store, { projectId, ids: [] })).toBe(0);
    });

    it('changes a run only from the status and lease it was checked with', async () => {
      const stale = await updateRunIfUnchanged(store, ids.b!, { status: 'running', leaseToken: null }, { status: 'cancelled' });
      expect(stale).toBeNull();
      const changed = await updateRunIfUnchanged(store, ids.b!, { status: 'queued', leaseToken: null }, { status: 'cancelled' });
      expect(changed?.status).toBe('cancelled');
      expect((await runById(store, ids.b!))?.status).toBe('cancelled');
    });
  });
}
