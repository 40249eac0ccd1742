import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projects, runs, teams } from '../schema/index';
import { testDatabases, type TestStore } from '../testing';
import { databaseNow, notify, runAsItIsNow, runProgress } from './events';
import { appendMetrics } from './metrics/index';

for (const database of testDatabases()) {
  describe(`event store on ${database.name}`, () => {
    let store: TestStore;
    let runId: string;

    beforeAll(async () => {
      store = await database.open();
      const [team] = await store.db.insert(teams).values({ name: 'ml' }).returning();
      const [project] = await store.db.insert(projects).values({ teamId: team!.id, name: 'mnist' }).returning();
      const [run] = await store.db.insert(runs).values({ projectId: project!.id, name: 'r', config: {}, flatParams: {} }).returning();
      runId = run!.id;
    });
    afterAll(() => store?.destroy());

    it('notifies the listeners of a channel, and only them', async () => {
      const heard: string[] = [];
      const unlisten = await store.listen('tuneboard_test_events', (payload) => heard.push(payload));
      try {
        await notify(store, 'tuneboard_test_other', 'elsewhere');
        await notify(store, 'tuneboard_test_events', '{"kind":"STATUS_CHANGED"}');
        await expect.poll(() => heard, { timeout: 5_000 }).toEqual(['{"kind":"STATUS_CHANGED"}']);
      } finally {
        await unlisten();
      }
    });

    it("reads a run's progress per metric key", async () => {
      expect(await runProgress(store, runId)).toEqual({ status: 'queued', lastStep: null, lastStepByKey: new Map() });
      await appendMetrics(store, runId, [
        { key: 'train.loss', steps: [0, 1, 2], values: [3, 2, 1] },
        { key: 'test.accuracy', steps: [0], values: [0.5] },
      ]);
      expect(await runProgress(store, runId)).toEqual({
        status: 'queued',
        lastStep: 2,
        lastStepByKey: new Map([
          ['test.accuracy', 0],
          ['train.loss', 2],
        ]),
      });
      expect(await runProgress(store, '00000000-0000-0000-0000-000000000000')).toBeNull();
    });

    it('reads a run as it is now, deleted or not, and the database clock', async () => {
      await store.db.update(runs).set({ deletedAt: new Date() }).where(eq(runs.id, runId));
      expect(await runAsItIsNow(store, runId)).toMatchObject({ id: runId, status: 'queued' });
      expect(await runAsItIsNow(store, '00000000-0000-0000-0000-000000000000')).toBeNull();
      expect(Date.parse(await databaseNow(store))).toBeGreaterThan(Date.now() - 60_000);
    });
  });
}
