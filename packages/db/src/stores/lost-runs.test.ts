import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projects, teams } from '../schema/index';
import { testDatabases, type TestStore } from '../testing';
import { insertRun, markLostExternalRuns, runById, touchExternalRun, type NewRun } from './runs';

for (const database of testDatabases()) {
  describe(`lost external runs on ${database.name}`, () => {
    let store: TestStore;
    let projectId: string;

    beforeAll(async () => {
      store = await database.open();
      const [team] = await store.db.insert(teams).values({ name: 'ml' }).returning();
      const [project] = await store.db.insert(projects).values({ teamId: team!.id, name: 'mnist' }).returning();
      projectId = project!.id;
    }, 60_000);
    afterAll(() => store?.destroy());

    const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
    const run = (values: Partial<NewRun>) => insertRun(store, { projectId, name: 'r', config: {}, flatParams: {}, ...values });

    it('marks only RUNNING external runs unseen past the timeout as lost, once', async () => {
      const stale = await run({ status: 'running', lastSeenAt: minutesAgo(10) });
      const fresh = await run({ status: 'running', lastSeenAt: minutesAgo(1) });
      const leased = await run({ status: 'running', lastSeenAt: minutesAgo(10), leaseToken: crypto.randomUUID(), leaseExpiresAt: minutesAgo(-1) });
      const finished = await run({ status: 'succeeded', lastSeenAt: minutesAgo(10) });
      const queued = await run({ status: 'queued' });

      const changed = await markLostExternalRuns(store, 300);
      expect(changed).toEqual([{ id: stale.id, status: 'lost', projectId }]);
      expect((await runById(store, fresh.id))?.status).toBe('running');
      expect((await runById(store, leased.id))?.status).toBe('running');
      expect((await runById(store, finished.id))?.status).toBe('succeeded');
      expect((await runById(store, queued.id))?.status).toBe('queued');
      // Idempotent: another replica sweeping at the same moment changes nothing more.
      expect(await markLostExternalRuns(store, 300)).toEqual([]);
    });

    it('brings a lost run back to running when it is heard from, and keeps it alive', async () => {
      const lost = await run({ status: 'running', lastSeenAt: minutesAgo(10) });
      await markLostExternalRuns(store, 300);
      const touched = await touchExternalRun(store, lost.id);
      expect(touched?.previousStatus).toBe('lost');
      expect(touched?.run.status).toBe('running');
      expect(touched!.run.lastSeenAt!.getTime()).toBeGreaterThan(minutesAgo(1).getTime());
      expect((await markLostExternalRuns(store, 300)).map((r) => r.id)).not.toContain(lost.id);

      const again = await touchExternalRun(store, lost.id);
      expect(again?.previousStatus).toBe('running');
      // Seen a moment ago: a touch within skipWithinSeconds leaves the row alone, unless the run is lost.
      expect(await touchExternalRun(store, lost.id, { skipWithinSeconds: 60 })).toBeNull();
      await markLostExternalRuns(store, 0);
      expect((await touchExternalRun(store, lost.id, { skipWithinSeconds: 60 }))?.run.status).toBe('running');
    });

    it('does not touch finished, queued or worker-held runs', async () => {
      const finished = await run({ status: 'failed', lastSeenAt: minutesAgo(10) });
      const queued = await run({ status: 'queued' });
      const leased = await run({ status: 'running', leaseToken: crypto.randomUUID(), leaseExpiresAt: minutesAgo(-1) });
      for (const r of [finished, queued, leased]) expect(await touchExternalRun(store, r.id)).toBeNull();
      expect((await runById(store, finished.id))?.lastSeenAt?.getTime()).toBe(finished.lastSeenAt?.getTime());
      expect(await touchExternalRun(store, crypto.randomUUID())).toBeNull();
    });
  });
}
