import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, startTestApi, SUBMIT_RUN, testDatabases, type TestApi, type TestUser } from './harness';

const SEARCH = `query($t: String!, $n: Int) { search(text: $t, first: $n) { kind id title projectName teamName status } }`;

for (const database of testDatabases()) {
  describe(`search across a user's teams on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser; // in vision…
    let aliceNlp: TestUser; // …and in nlp (the same user)
    let bob: TestUser; // another team
    let ids: Record<string, string>;

    const project = async (user: TestUser, name: string) =>
      (await user.ok(`mutation($t: ID!, $n: String!) { createProject(teamId: $t, name: $n, schemaKind: INFERRED) { id } }`, { t: user.teamId, n: name }))
        .createProject.id as string;
    const run = async (user: TestUser, projectId: string, name: string, tags: string[] = []) =>
      (await user.ok(SUBMIT_RUN, { input: { projectId, name, tags, execution: 'EXTERNAL', hparams: { lr: 0.1 } } })).submitRun.run.id as string;

    beforeAll(async () => {
      api = await startTestApi(database);
      alice = await api.user('alice@example.com', 'vision');
      aliceNlp = await api.user('alice@example.com', 'nlp');
      bob = await api.user('bob@example.com', 'other');
      const resnet = await project(alice, 'ResNet sweeps');
      const bert = await project(aliceNlp, 'bert-finetune');
      const bobs = await project(bob, 'resnet secrets');
      ids = {
        resnet,
        bert,
        bobs,
        warmup: await run(alice, resnet, 'resnet50-warmup', ['baseline']),
        cosine: await run(alice, resnet, 'resnet50 cosine 100%'),
        bertRun: await run(aliceNlp, bert, 'bert-large', ['baseline']),
        bobRun: await run(bob, bobs, 'resnet-bob', ['baseline']),
      };
      ids.finding = (
        await alice.ok(`mutation($i: FindingInput!) { createFinding(input: $i) { id } }`, {
          i: { projectId: resnet, title: 'Warmup matters for ResNet', rule: 'lr <= 0.1', metric: { key: 'val.loss', direction: 'LOWER' } },
        })
      ).createFinding.id;
    });
    afterAll(() => api?.close());

    const found = async (user: TestUser, text: string) =>
      ((await user.ok(SEARCH, { t: text })).search as { kind: string; id: string }[]).map((hit) => `${hit.kind}:${hit.id}`);

    it("finds projects, runs and findings of every team of the user by name, any case, and nothing of other teams'", async () => {
      const hits = await found(alice, 'RESNET');
      expect(hits.sort()).toEqual([`PROJECT:${ids.resnet}`, `RUN:${ids.warmup}`, `RUN:${ids.cosine}`, `FINDING:${ids.finding}`].sort());
      const detailed = (await alice.ok(SEARCH, { t: 'bert' })).search;
      expect(detailed).toContainEqual({ kind: 'RUN', id: ids.bertRun, title: 'bert-large', projectName: 'bert-finetune', teamName: 'nlp', status: 'running' });
      expect(await found(bob, 'resnet')).toEqual(expect.arrayContaining([`PROJECT:${ids.bobs}`, `RUN:${ids.bobRun}`]));
      expect((await found(bob, 'resnet')).some((hit) => hit.endsWith(ids.resnet!) || hit.endsWith(ids.warmup!))).toBe(false);
    });

    it('finds runs by tag and anything by its exact id (first), and takes % and _ literally', async () => {
      expect((await found(alice, 'baseline')).sort()).toEqual([`RUN:${ids.warmup}`, `RUN:${ids.bertRun}`].sort());
      expect((await found(alice, ids.cosine!.toUpperCase()))[0]).toBe(`RUN:${ids.cosine}`);
      expect(await found(bob, ids.warmup!)).toEqual([]);
      expect(await found(alice, '100%')).toEqual([`RUN:${ids.cosine}`]);
      expect(await found(alice, '%')).toEqual([`RUN:${ids.cosine}`]);
      expect(await found(alice, 'resnet_')).toEqual([]);
      expect((await alice.ok(SEARCH, { t: 'resnet', n: 1 })).search).toHaveLength(1);
    });

    it('refuses empty or overlong text and out-of-range sizes, and anonymous callers', async () => {
      const problem = async (variables: Record<string, unknown>) => (await alice.request(SEARCH, variables)).errors?.[0];
      expect(await problem({ t: '   ' })).toMatchObject({ message: 'Search for 1 to 200 characters', extensions: { code: 'BAD_USER_INPUT' } });
      expect((await problem({ t: 'x'.repeat(201) }))?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(await problem({ t: 'x', n: 0 })).toMatchObject({ message: 'first must be from 1 to 50' });
      expect(await problem({ t: 'x', n: 51 })).toMatchObject({ message: 'first must be from 1 to 50' });
      const anonymous = await postGraphQL(api.server.url, null, { query: SEARCH, variables: { t: 'resnet' } });
      expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });
  });
}
