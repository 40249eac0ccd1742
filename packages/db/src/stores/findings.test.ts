import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricSummaries, projects, runs, teams } from '../schema/index';
import { testDatabases, type TestStore } from '../testing';
import * as findingStore from './findings';

const NEW_FINDING = { title: 'small batches', rule: 'batchSize <= 32', metricKey: 'acc', metricDirection: 'higher' } as const;

for (const database of testDatabases()) {
  describe(`finding store on ${database.name}`, () => {
    let store: TestStore;
    let teamId: string;
    let home: string;
    let sibling: string;
    let foreign: string;

    beforeAll(async () => {
      store = await database.open();
      const [team, otherTeam] = await store.db
        .insert(teams)
        .values([{ name: 'ml' }, { name: 'other' }])
        .returning();
      teamId = team!.id;
      const rows = await store.db
        .insert(projects)
        .values([
          { teamId, name: 'home' },
          { teamId, name: 'sibling' },
          { teamId: otherTeam!.id, name: 'foreign' },
        ])
        .returning();
      [home, sibling, foreign] = rows.map((p) => p.id) as [string, string, string];
    }, 60_000); // opening and migrating a database is slow on a busy machine
    afterAll(() => store?.destroy());

    async function run(projectId: string, name: string, options: { deleted?: boolean } = {}): Promise<string> {
      const [row] = await store.db
        .insert(runs)
        .values({ projectId, name, config: {}, flatParams: { batchSize: 8 }, deletedAt: options.deleted ? new Date() : null })
        .returning({ id: runs.id });
      return row!.id;
    }

    it("gathers a finding's evidence runs with their metric summaries: the project's, or the team's when shared", async () => {
      const own = await run(home, 'own');
      const near = await run(sibling, 'near');
      await run(foreign, 'far');
      await run(home, 'gone', { deleted: true });
      await store.db.insert(metricSummaries).values([
        { runId: own, key: 'acc', lastValue: 0.9, minValue: 0.1, maxValue: 0.95 },
        { runId: own, key: 'loss', lastValue: Number.NaN, minValue: 0.2, maxValue: 2 },
      ]);

      const local = await findingStore.evidenceRuns(store, { projectId: home, sharedWithTeam: false });
      expect(local).toHaveLength(1);
      expect(local[0]).toMatchObject({ id: own, name: 'own', status: 'queued', flatParams: { batchSize: 8 }, tags: [] });
      expect(local[0]!.metrics.acc).toEqual({ last: 0.9, min: 0.1, max: 0.95 });
      expect(local[0]!.metrics.loss!.last).toBeNaN();

      const shared = await findingStore.evidenceRuns(store, { projectId: home, sharedWithTeam: true });
      expect(shared.map((r) => r.name).sort()).toEqual(['near', 'own']);
      expect(shared.find((r) => r.id === near)!.metrics).toEqual({});
    });

    it('lists active findings of a project with the shared ones of its team, and retires atomically once', async () => {
      const evented = { actorId: null, changes: {} };
      const own = (await findingStore.createFinding(store, { ...NEW_FINDING, projectId: sibling }, [], evented)).finding;
      const shared = (await findingStore.createFinding(store, { ...NEW_FINDING, projectId: home, sharedWithTeam: true }, [], evented)).finding;
      const elsewhere = (await findingStore.createFinding(store, { ...NEW_FINDING, projectId: foreign, sharedWithTeam: true }, [], evented)).finding;
      expect((await findingStore.activeFindingsFor(store, sibling)).map((f) => f.id).sort()).toEqual([own.id, shared.id].sort());

      const retired = await findingStore.retireFinding(store, own.id, { actorId: null, changes: { reason: 'done' } });
      expect(retired?.finding.status).toBe('retired');
      expect(await findingStore.retireFinding(store, own.id, { actorId: null, changes: {} })).toBeNull();
      expect((await findingStore.eventsOf(store, own.id)).map((e) => e.kind)).toEqual(['created', 'retired']);
      expect((await findingStore.activeFindingsFor(store, sibling)).map((f) => f.id)).toEqual([shared.id]);
      expect((await findingStore.retiredFindingsOf(store, sibling)).map((f) => f.id)).toEqual([own.id]);
      expect((await findingStore.teamFeed(store, teamId, 10)).every((e) => e.findingId !== elsewhere.id)).toBe(true);
    });

    it('replaces citations only when asked, and records evidence only on the finding as it was read', async () => {
      const [a, b] = [await run(home, 'a'), await run(home, 'b')];
      const { finding } = await findingStore.createFinding(store, { ...NEW_FINDING, projectId: home }, [a], { actorId: null, changes: {} });
      expect(await findingStore.citedRunIds(store, finding.id)).toEqual([a]);
      await findingStore.updateFinding(store, finding.id, { set: { title: 'renamed' }, event: null });
      expect(await findingStore.citedRunIds(store, finding.id)).toEqual([a]);
      const updated = await findingStore.updateFinding(store, finding.id, { set: {}, citations: [b], event: { actorId: null, changes: { citedRunIds: {} } } });
      expect(updated?.eventId).toBeTypeOf('string');
      expect((await findingStore.citedRuns(store, finding.id)).map((r) => r.name)).toEqual(['b']);

      // `finding` is stale now (the updates moved updatedAt): its re-check must not overwrite them.
      expect(await findingStore.recordEvidence(store, finding, { status: 'supported', evidence: {}, verdict: 'v' })).toBeNull();
      const current = (await findingStore.findingById(store, finding.id))!;
      const recorded = await findingStore.recordEvidence(store, current, { status: 'supported', evidence: { verdict: 'v' }, verdict: 'v' });
      expect(recorded?.finding).toMatchObject({ status: 'supported', title: 'renamed', evidence: { verdict: 'v' } });
      const changed = await findingStore.eventById(store, recorded!.eventId!);
      expect(changed).toMatchObject({ kind: 'status_changed', actorId: null, changes: { from: 'proposed', to: 'supported', verdict: 'v' } });
      // The same status again: the evidence is stored, no event.
      expect((await findingStore.recordEvidence(store, recorded!.finding, { status: 'supported', evidence: {}, verdict: 'w' }))?.eventId).toBeNull();
    });
  });
}
