import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendMetrics } from './metrics/index';
import { metricSummaries, projects, runs, teams, users } from '../schema/index';
import { testDatabases, type TestStore } from '../testing';
import { claimNextRun, registerWorker, releaseLeasedRun, renewLease, requeueExpiredLeases, finishLeasedRun } from './queue';

for (const database of testDatabases()) {
  describe(`queue store on ${database.name}`, () => {
    let store: TestStore;
    let teamId: string;
    let projectId: string;
    let workerId: string;

    beforeAll(async () => {
      store = await database.open();
      const [team] = await store.db.insert(teams).values({ name: 'ml' }).returning();
      const [user] = await store.db.insert(users).values({ email: 'w@example.com' }).returning();
      const [project] = await store.db.insert(projects).values({ teamId: team!.id, name: 'mnist' }).returning();
      teamId = team!.id;
      projectId = project!.id;
      workerId = (await registerWorker(store, { userId: user!.id, name: 'w1', capabilities: {}, teamIds: [teamId] })).id;
      // Opening PGlite applies every migration: slow on a busy machine.
    }, 60_000);
    afterAll(() => store?.destroy());

    const claim = (overrides: { gpu?: boolean; backend?: string } = {}) =>
      claimNextRun(store, { workerId, teamIds: [teamId], gpu: false, backend: 'cpu', device: 'cpu', leaseSeconds: 30, ...overrides });

    async function newRun(values: { requirements?: unknown; maxAttempts?: number } = {}) {
      const [run] = await store.db
        .insert(runs)
        .values({ projectId, name: 'r', config: {}, flatParams: {}, ...values })
        .returning();
      return run!;
    }
    const summaries = async (runId: string) => store.db.select().from(metricSummaries).where(eq(metricSummaries.runId, runId));
    /** Leaves only this run queued, so claims are deterministic. */
    const clearQueue = () => store.db.update(runs).set({ status: 'cancelled' }).where(eq(runs.status, 'queued'));

    it('claims the oldest queued run the worker can train, leasing it', async () => {
      await clearQueue();
      const gpuRun = await newRun({ requirements: { gpu: true } });
      const wasmRun = await newRun({ requirements: { backends: ['wasm'] } });
      const plain = await newRun();
      const claimed = await claim();
      expect(claimed).toMatchObject({ id: plain.id, status: 'running', workerId, attempt: 1, backend: 'cpu', device: 'cpu' });
      expect(claimed!.leaseToken).toMatch(/^[0-9a-f-]{36}$/);
      expect(claimed!.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now());
      expect(await claim()).toBeNull();
      expect((await claim({ backend: 'wasm' }))!.id).toBe(wasmRun.id);
      expect((await claim({ gpu: true }))!.id).toBe(gpuRun.id);
      expect(await claimNextRun(store, { workerId, teamIds: [crypto.randomUUID()], gpu: true, backend: 'cpu', device: 'cpu', leaseSeconds: 30 })).toBeNull();
    });

    it('renews, finishes and refuses a stale lease token', async () => {
      await clearQueue();
      await newRun();
      const run = (await claim())!;
      expect(await renewLease(store, run.id, crypto.randomUUID(), 30)).toBeNull();
      expect(await renewLease(store, run.id, run.leaseToken!, 60)).toBeInstanceOf(Date);
      expect(
        await finishLeasedRun(store, run.id, crypto.randomUUID(), { status: 'succeeded', error: null, divergedAtStep: null, divergedLearningRate: null }),
      ).toBeNull();
      const finished = await finishLeasedRun(store, run.id, run.leaseToken!, {
        status: 'succeeded',
        error: null,
        divergedAtStep: null,
        divergedLearningRate: null,
        results: { best: 1 },
      });
      expect(finished).toMatchObject({ status: 'succeeded', leaseToken: null, results: { best: 1 } });
      expect(finished!.finishedAt).toBeInstanceOf(Date);
    });

    it('requeues an expired lease, keeps the history until the retry is claimed, then fails after the last attempt', async () => {
      await clearQueue();
      const { id } = await newRun({ maxAttempts: 2 });
      const first = (await claim())!;
      await appendMetrics(store, id, [{ key: 'loss', steps: [0, 1], values: [1, 0.5] }]);
      await store.db
        .update(runs)
        .set({ leaseExpiresAt: new Date(Date.now() - 1000) })
        .where(eq(runs.id, id));
      expect(await requeueExpiredLeases(store)).toEqual([{ id, status: 'queued', projectId }]);
      expect(await summaries(id)).toHaveLength(1);
      const second = (await claim())!;
      expect(second.attempt).toBe(2);
      expect(second.leaseToken).not.toBe(first.leaseToken);
      expect(await summaries(id)).toHaveLength(0);
      await store.db
        .update(runs)
        .set({ leaseExpiresAt: new Date(Date.now() - 1000) })
        .where(eq(runs.id, id));
      expect(await requeueExpiredLeases(store)).toEqual([{ id, status: 'failed', projectId }]);
      const [failed] = await store.db.select().from(runs).where(eq(runs.id, id));
      expect(failed).toMatchObject({ status: 'failed', error: 'Its worker stopped responding (lease expired) on each of 2 attempts', leaseToken: null });
      expect(await requeueExpiredLeases(store)).toEqual([]);
    });

    it('releases a run: queued again, the attempt not counted, its history cleared', async () => {
      await clearQueue();
      const { id } = await newRun();
      const run = (await claim())!;
      await appendMetrics(store, id, [{ key: 'loss', steps: [0], values: [1] }]);
      expect(await releaseLeasedRun(store, id, crypto.randomUUID())).toBe(false);
      expect(await summaries(id)).toHaveLength(1);
      expect(await releaseLeasedRun(store, id, run.leaseToken!)).toBe(true);
      const [released] = await store.db.select().from(runs).where(eq(runs.id, id));
      expect(released).toMatchObject({ status: 'queued', attempt: 0, workerId: null, leaseToken: null, startedAt: null });
      expect(await summaries(id)).toHaveLength(0);
    });
  });
}
