import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teams } from '../schema/index';
import { testDatabases, type TestStore } from '../testing';
import { createProject, currentSchemaVersion, schemaVersionsOf, setProjectSchema } from './projects';
import { insertRunLearning, insertRunsLearning, runById } from './runs';

for (const database of testDatabases()) {
  describe(`project schemas on ${database.name}`, () => {
    let store: TestStore;
    let teamId: string;

    beforeAll(async () => {
      store = await database.open();
      const [team] = await store.db.insert(teams).values({ name: 'ml' }).returning();
      teamId = team!.id;
      // Opening PGlite applies every migration: slow on a busy machine.
    }, 60_000);
    afterAll(() => store?.destroy());

    it('makes projects built-in by default, and a declared one with its document as version 1', async () => {
      const plain = await createProject(store, { teamId, name: 'mnist', description: '' });
      expect(plain).toMatchObject({ schemaKind: 'builtin', inferredSchema: null });
      expect(await currentSchemaVersion(store, plain!.id)).toBeNull();
      const declared = await createProject(
        store,
        { teamId, name: 'xgb', description: '', schemaKind: 'declared' },
        { document: { type: 'object' }, createdById: null },
      );
      expect(declared?.schemaKind).toBe('declared');
      expect(await currentSchemaVersion(store, declared!.id)).toMatchObject({ version: 1, document: { type: 'object' } });
      // A duplicate name creates nothing, not even a schema row.
      expect(await createProject(store, { teamId, name: 'XGB', description: '', schemaKind: 'declared' }, { document: {}, createdById: null })).toBeNull();
    });

    it('adds a version only when the document changes (key order does not count), concurrent edits get distinct versions', async () => {
      const project = (await createProject(store, { teamId, name: 'rl', description: '', schemaKind: 'inferred' }))!;
      const first = await setProjectSchema(store, project.id, { kind: 'declared', document: { type: 'object', title: 'a' }, createdById: null });
      expect(first).toMatchObject({ added: true, current: { version: 1 }, project: { schemaKind: 'declared' } });
      const same = await setProjectSchema(store, project.id, { kind: 'declared', document: { title: 'a', type: 'object' }, createdById: null });
      expect(same).toMatchObject({ added: false, current: { version: 1 } });
      await Promise.all(
        ['b', 'c', 'd'].map((title) => setProjectSchema(store, project.id, { kind: 'declared', document: { type: 'object', title }, createdById: null })),
      );
      expect((await schemaVersionsOf(store, project.id)).map((v) => v.version)).toEqual([4, 3, 2, 1]);
      // Switching kind keeps the versions.
      const inferred = await setProjectSchema(store, project.id, { kind: 'inferred', createdById: null });
      expect(inferred).toMatchObject({ added: false, current: { version: 4 }, project: { schemaKind: 'inferred' } });
      expect(await setProjectSchema(store, '00000000-0000-4000-8000-000000000000', { kind: 'builtin', createdById: null })).toBeNull();
    });

    it('learns the inferred state with each run insert, concurrent inserts losing no update', async () => {
      const project = (await createProject(store, { teamId, name: 'ppo', description: '', schemaKind: 'inferred' }))!;
      const learn = (state: unknown) => ({ runs: ((state as { runs: number } | null)?.runs ?? 0) + 1 });
      const runs = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          insertRunLearning(store, { projectId: project.id, name: `r${i}`, config: {}, flatParams: { i }, paramTypes: { i: 'integer' } }, learn),
        ),
      );
      const [row] = await store.db.query.projects.findMany({ where: (p, { eq }) => eq(p.id, project.id) });
      expect(row?.inferredSchema).toEqual({ runs: 8 });
      expect(await runById(store, runs[0]!.id)).toMatchObject({ paramTypes: { i: 'integer' }, schemaVersion: null });
      expect(await insertRunLearning(store, { projectId: '00000000-0000-4000-8000-000000000000', name: 'x', config: {}, flatParams: {} }, learn)).toBeNull();
    });

    it('inserts a batch of runs with one learning step, returning them in the order given', async () => {
      const project = (await createProject(store, { teamId, name: 'sweep', description: '', schemaKind: 'inferred' }))!;
      const seen: unknown[] = [];
      const learnAll = (state: unknown) => {
        seen.push(state);
        return { runs: ((state as { runs: number } | null)?.runs ?? 0) + 5 };
      };
      const values = Array.from({ length: 5 }, (_, i) => ({ projectId: project.id, name: `t${i}`, config: {}, flatParams: { i } }));
      const inserted = await insertRunsLearning(store, project.id, values, learnAll);
      expect(inserted!.map((run) => run.name)).toEqual(['t0', 't1', 't2', 't3', 't4']);
      expect(inserted!.map((run) => run.flatParams)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }, { i: 3 }, { i: 4 }]);
      await insertRunsLearning(store, project.id, values.slice(0, 2), learnAll);
      expect(seen).toEqual([null, { runs: 5 }]);
      const [row] = await store.db.query.projects.findMany({ where: (p, { eq }) => eq(p.id, project.id) });
      expect(row?.inferredSchema).toEqual({ runs: 10 });
      await expect(insertRunsLearning(store, project.id, [{ ...values[0]!, projectId: teamId }], learnAll)).rejects.toThrow(/every run must belong/);
      expect(await insertRunsLearning(store, '00000000-0000-4000-8000-000000000000', [], learnAll)).toEqual([]);
    });
  });
}
