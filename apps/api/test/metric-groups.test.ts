import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_PROJECT, LOG_METRICS, MLP_CONFIG, startTestApi, SUBMIT_RUN, testDatabases, type TestApi, type TestUser } from './harness';

const GROUPS = /* GraphQL */ `
  query ($p: ID!, $r: [ID!]!, $g: MetricGroupingInput!, $k: [String!], $a: SeriesAlignment, $b: Int) {
    metricGroups(projectId: $p, runIds: $r, groupBy: $g, keys: $k, alignment: $a, buckets: $b) {
      alignment
      groups {
        label
        values
        runIds
        count
        series {
          key
          x
          count
          mean
          min
          max
          std
          low
          high
        }
      }
    }
  }
`;

const code = (answer: { errors?: { extensions?: { code?: string } }[] }) => answer.errors?.[0]?.extensions?.code;
const problems = (answer: { errors?: { extensions?: { problems?: { path: string }[] } }[] }) => answer.errors?.[0]?.extensions?.problems?.map((p) => p.path);

for (const database of testDatabases()) {
  describe(`metric groups (seeds as bands) on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let bob: TestUser;
    let projectId: string;
    const small: string[] = []; // batchSize 32, seeds 1–3: 32 steps per epoch, 64 steps logged
    const large: string[] = []; // batchSize 128, seeds 1–2: 8 steps per epoch, 16 steps logged
    let otherProjectRun: string;
    let bobRun: string;

    const submit = async (user: TestUser, project: string, hparams: unknown) =>
      (await user.ok(SUBMIT_RUN, { input: { projectId: project, hparams } })).submitRun.run.id as string;
    // A constant per run, so each bucket's figures are known: seed s logs s (batch 32) or 10 + s (batch 128).
    const log = (user: TestUser, runId: string, steps: number, value: number) =>
      user.ok(LOG_METRICS, { runId, series: [{ key: 'train.loss', steps: [...Array(steps).keys()], values: Array(steps).fill(value) }] });

    beforeAll(async () => {
      api = await startTestApi(database);
      alice = await api.user('alice@example.com', 'vision');
      bob = await api.user('bob@example.com', 'other');
      projectId = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'seeds' })).createProject.id;
      for (const seed of [1, 2, 3]) {
        small.push(await submit(alice, projectId, { ...MLP_CONFIG, batchSize: 32, seed }));
        await log(alice, small.at(-1)!, 64, seed);
      }
      for (const seed of [1, 2]) {
        large.push(await submit(alice, projectId, { ...MLP_CONFIG, batchSize: 128, seed }));
        await log(alice, large.at(-1)!, 16, 10 + seed);
      }
      const otherProject = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'elsewhere' })).createProject.id;
      otherProjectRun = await submit(alice, otherProject, { ...MLP_CONFIG, batchSize: 32, seed: 9 });
      await log(alice, otherProjectRun, 64, 1000);
      const bobProject = (await bob.ok(CREATE_PROJECT, { teamId: bob.teamId, name: 'bobs' })).createProject.id;
      bobRun = await submit(bob, bobProject, { ...MLP_CONFIG, batchSize: 32, seed: 9 });
      await log(bob, bobRun, 64, 1000);
    });
    afterAll(() => api?.close());

    it('groups seeds into configurations, each a mean with min–max, std and a t interval, aligned by epoch', async () => {
      const data = await alice.ok(GROUPS, { p: projectId, r: [...small, ...large], g: { allButSeeds: true }, a: 'EPOCH', b: 4 });
      const [a, b] = data.metricGroups.groups;
      expect(data.metricGroups.groups.map((g: { label: string; count: number }) => [g.label, g.count])).toEqual([
        ['batchSize=32', 3],
        ['batchSize=128', 2],
      ]);
      expect(a.runIds).toEqual(small);
      expect(a.values).toEqual({ batchSize: 32 });
      // Epochs: batch 32 covers 0–63/32, batch 128 0–15/8; one grid of 4 buckets over 0–1.96875 for both.
      const loss = a.series[0];
      expect(loss.key).toBe('train.loss');
      expect(loss.count).toEqual([3, 3, 3, 3]);
      expect(loss.mean).toEqual([2, 2, 2, 2]);
      expect(loss.min).toEqual([1, 1, 1, 1]);
      expect(loss.max).toEqual([3, 3, 3, 3]);
      expect(loss.std).toEqual([1, 1, 1, 1]);
      // python3 -c "from scipy import stats; import math; print(stats.t.ppf(0.975, 2) / math.sqrt(3), stats.t.ppf(0.975, 1) * math.sqrt(0.5) / math.sqrt(2))"
      loss.low.forEach((low: number) => expect(low).toBeCloseTo(2 - 2.4841377118, 6));
      loss.high.forEach((high: number) => expect(high).toBeCloseTo(2 + 2.4841377118, 6));
      expect(loss.x[0]).toBeGreaterThanOrEqual(0);
      expect(loss.x.at(-1)).toBeLessThanOrEqual(63 / 32);
      const bLoss = b.series[0];
      expect(bLoss.x.at(-1)).toBeLessThanOrEqual(15 / 8);
      expect(bLoss.x.every((x: number) => x <= 15 / 8)).toBe(true);
      expect(bLoss.mean.every((m: number) => m === 11.5)).toBe(true);
      bLoss.high.forEach((high: number) => expect(high).toBeCloseTo(11.5 + 6.3531023681, 6));
    });

    it('groups by chosen paths, aligned by step or wall time', async () => {
      const bySeed = await alice.ok(GROUPS, { p: projectId, r: [...small, ...large], g: { paths: ['seed'] }, b: 10 });
      expect(bySeed.metricGroups.alignment).toBe('STEP');
      expect(bySeed.metricGroups.groups.map((g: { label: string; count: number }) => [g.label, g.count])).toEqual([
        ['seed=1', 2],
        ['seed=2', 2],
        ['seed=3', 1],
      ]);
      const seed3 = bySeed.metricGroups.groups[2].series[0];
      expect(seed3.std.every((s: number | null) => s === null)).toBe(true);
      expect(Math.max(...seed3.x)).toBeLessThanOrEqual(63);
      const byTime = await alice.ok(GROUPS, { p: projectId, r: small, g: { paths: ['batchSize'] }, a: 'WALL_TIME', b: 5 });
      expect(byTime.metricGroups.groups).toHaveLength(1);
      expect(byTime.metricGroups.groups[0].series[0].x[0]).toBeGreaterThanOrEqual(0);
    });

    it('leaves out runs of other teams, other projects and unknown ids, as the compare query does', async () => {
      const data = await alice.ok(GROUPS, { p: projectId, r: [small[0], bobRun, otherProjectRun, randomUUID(), 'not-an-id'], g: { allButSeeds: true } });
      expect(data.metricGroups.groups.map((g: { runIds: string[] }) => g.runIds)).toEqual([[small[0]]]);
      expect(data.metricGroups.groups[0].series[0].max.every((v: number) => v === 1)).toBe(true);
      // Bob cannot read alice's project at all, nor put her runs under his.
      expect(code(await bob.request(GROUPS, { p: projectId, r: small, g: { allButSeeds: true } }))).toBe('NOT_FOUND');
      const bobProject = (await bob.ok(`query { projects { id } }`)).projects[0].id;
      expect((await bob.ok(GROUPS, { p: bobProject, r: small, g: { allButSeeds: true } })).metricGroups.groups).toEqual([]);
    });

    it('refuses unknown paths, too many runs, bad buckets and an impossible alignment with BAD_USER_INPUT', async () => {
      const unknown = await alice.request(GROUPS, { p: projectId, r: small, g: { paths: ['batchSize', 'optimiser.lr'] } });
      expect(code(unknown)).toBe('BAD_USER_INPUT');
      expect(unknown.errors![0]!.message).toContain('"optimiser.lr"');
      expect(problems(unknown)).toEqual(['groupBy.paths[1]']);
      const tooMany = await alice.request(GROUPS, { p: projectId, r: Array.from({ length: 1001 }, () => randomUUID()), g: { allButSeeds: true } });
      expect(code(tooMany)).toBe('BAD_USER_INPUT');
      expect(tooMany.errors![0]!.message).toMatch(/at most 1,000 runs/);
      for (const b of [1, 1001]) expect(problems(await alice.request(GROUPS, { p: projectId, r: small, g: { allButSeeds: true }, b }))).toEqual(['buckets']);
      expect(problems(await alice.request(GROUPS, { p: projectId, r: small, g: {} }))).toEqual(['groupBy.paths']);
      expect(problems(await alice.request(GROUPS, { p: projectId, r: small, g: { paths: ['seed'], allButSeeds: true } }))).toEqual(['groupBy']);
      const badEnum = await alice.request(GROUPS, { p: projectId, r: small, g: { allButSeeds: true }, a: 'ITERATION' });
      expect(badEnum.errors?.[0]?.message).toMatch(/SeriesAlignment/);

      // Runs of an open schema have no steps per epoch: aligning them by epoch is refused, by step is fine.
      const open = (
        await alice.ok(`mutation ($t: ID!) { createProject(teamId: $t, name: "ppo", schemaKind: INFERRED) { id } }`, {
          t: alice.teamId,
        })
      ).createProject.id;
      const ppo = (await alice.ok(SUBMIT_RUN, { input: { projectId: open, execution: 'EXTERNAL', hparamsText: '{"clip": 0.2, "seed": 1}' } })).submitRun.run.id;
      await log(alice, ppo, 10, 1);
      const epoch = await alice.request(GROUPS, { p: open, r: [ppo], g: { allButSeeds: true }, a: 'EPOCH' });
      expect(code(epoch)).toBe('BAD_USER_INPUT');
      expect(problems(epoch)).toEqual(['alignment']);
      expect((await alice.ok(GROUPS, { p: open, r: [ppo], g: { allButSeeds: true }, a: 'STEP' })).metricGroups.groups[0].label).toBe('all runs');
    });

    it('lists the annotations of many runs for the compare markers, leaving out runs of other teams', async () => {
      const ANNOTATE = `mutation($r: ID!, $b: String!, $s: Int) { annotateRun(runId: $r, body: $b, step: $s) { id } }`;
      const LIST = `query($r: [ID!]!) { runAnnotations(runIds: $r) { runId body step } }`;
      await alice.ok(ANNOTATE, { r: small[0], b: 'lr warm-up ends', s: 10 });
      await bob.ok(ANNOTATE, { r: bobRun, b: 'private to bob', s: 5 });
      expect((await alice.ok(LIST, { r: [small[0], small[1], bobRun, randomUUID()] })).runAnnotations).toEqual([
        { runId: small[0], body: 'lr warm-up ends', step: 10 },
      ]);
      const tooMany = await alice.request(LIST, { r: Array.from({ length: 1001 }, () => randomUUID()) });
      expect(problems(tooMany)).toEqual(['runIds']);
    });

    it('refuses more groups than can be drawn', async () => {
      // 101 configurations of one run each (no points logged: grouping is checked before anything is read).
      const many: string[] = [];
      for (let i = 0; i < 101; i++) many.push(await submit(alice, projectId, { ...MLP_CONFIG, batchSize: 200 + i }));
      const answer = await alice.request(GROUPS, { p: projectId, r: many, g: { paths: ['batchSize'] } });
      expect(code(answer)).toBe('BAD_USER_INPUT');
      expect(answer.errors![0]!.message).toMatch(/101 groups; at most 100/);
    });
  });
}
