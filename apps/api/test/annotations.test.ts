import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_PROJECT, MLP_CONFIG, startTestApi, SUBMIT_RUN, testDatabases, type TestApi, type TestUser } from './harness';

const ANNOTATE = `mutation($r: ID!, $b: String!, $s: Int) { annotateRun(runId: $r, body: $b, step: $s) { id body step } }`;
const UPDATE = `mutation($id: ID!, $b: String!, $s: Int) { updateAnnotation(id: $id, body: $b, step: $s) { id body step author { email } } }`;
const DELETE = `mutation($id: ID!) { deleteAnnotation(id: $id) }`;
const ANNOTATIONS = `query($id: ID!) { run(id: $id) { annotations { id body step } } }`;

for (const database of testDatabases()) {
  describe(`editing and deleting run annotations on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser; // owner of vision
    let mia: TestUser; // member of vision
    let vera: TestUser; // viewer of vision
    let bob: TestUser; // another team
    let runId: string;

    beforeAll(async () => {
      api = await startTestApi(database);
      alice = await api.user('alice@example.com', 'vision');
      mia = await api.user('mia@example.com', 'vision', 'member');
      vera = await api.user('vera@example.com', 'vision', 'viewer');
      bob = await api.user('bob@example.com', 'other');
      const projectId = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'notes' })).createProject.id;
      runId = (await alice.ok(SUBMIT_RUN, { input: { projectId, hparams: MLP_CONFIG } })).submitRun.run.id;
    });
    afterAll(() => api?.close());

    const code = (answer: { errors?: { extensions?: { code?: string } }[] }) => answer.errors?.[0]?.extensions?.code;

    it('lets its author change the text and step, and delete it', async () => {
      const { id } = (await mia.ok(ANNOTATE, { r: runId, b: 'loss spike', s: 420 })).annotateRun;
      expect((await mia.ok(UPDATE, { id, b: 'loss spike: a bad shard', s: 421 })).updateAnnotation).toEqual({
        id,
        body: 'loss spike: a bad shard',
        step: 421,
        author: { email: 'mia@example.com' },
      });
      expect((await alice.ok(ANNOTATIONS, { id: runId })).run.annotations).toContainEqual({ id, body: 'loss spike: a bad shard', step: 421 });
      expect((await mia.ok(DELETE, { id })).deleteAnnotation).toBe(true);
      expect((await alice.ok(ANNOTATIONS, { id: runId })).run.annotations.map((a: { id: string }) => a.id)).not.toContain(id);
      expect(code(await mia.request(DELETE, { id }))).toBe('NOT_FOUND');
    });

    it('lets an owner moderate; refuses other members, viewers and other teams, and bad input, changing nothing', async () => {
      const { id } = (await mia.ok(ANNOTATE, { r: runId, b: 'warm-up ends here', s: 100 })).annotateRun;
      const other = (await alice.ok(ANNOTATE, { r: runId, b: "alice's", s: null })).annotateRun.id;
      // What each may do, as the run page asks it.
      const canEdit = async (user: TestUser) =>
        Object.fromEntries(
          (await user.ok(`query($id: ID!) { run(id: $id) { annotations { id canEdit } } }`, { id: runId })).run.annotations
            .filter((a: { id: string }) => a.id === id || a.id === other)
            .map((a: { id: string; canEdit: boolean }) => [a.id === id ? 'mia' : 'alice', a.canEdit]),
        );
      expect(await canEdit(mia)).toEqual({ mia: true, alice: false });
      expect(await canEdit(alice)).toEqual({ mia: true, alice: true });
      expect(await canEdit(vera)).toEqual({ mia: false, alice: false });
      expect(code(await mia.request(UPDATE, { id: other, b: 'mine now' }))).toBe('FORBIDDEN');
      expect(code(await mia.request(DELETE, { id: other }))).toBe('FORBIDDEN');
      expect(code(await vera.request(UPDATE, { id, b: 'viewer edit' }))).toBe('FORBIDDEN');
      expect(code(await vera.request(DELETE, { id }))).toBe('FORBIDDEN');
      // Another team: exactly as if it did not exist.
      const foreign = await bob.request(DELETE, { id });
      expect(foreign.errors?.[0]?.message).toBe(`Annotation ${id} was not found`);
      expect((await bob.request(DELETE, { id: 'not-an-id' })).errors?.[0]?.message).toBe('Annotation not-an-id was not found');
      expect((await mia.request(UPDATE, { id, b: '   ' })).errors?.[0]?.message).toBe('An annotation needs a body');
      expect(code(await mia.request(UPDATE, { id, b: 'ok', s: -1 }))).toBe('BAD_USER_INPUT');
      expect(code(await mia.request(UPDATE, { id, b: 'x'.repeat(20_001) }))).toBe('BAD_USER_INPUT');
      expect((await alice.ok(ANNOTATIONS, { id: runId })).run.annotations).toContainEqual({ id, body: 'warm-up ends here', step: 100 });
      // The team's owner may edit or remove anyone's.
      expect((await alice.ok(UPDATE, { id, b: 'warm-up ends at step 100', s: 100 })).updateAnnotation.body).toBe('warm-up ends at step 100');
      expect((await alice.ok(DELETE, { id })).deleteAnnotation).toBe(true);
    });
  });
}
