import { meanInterval } from '@tuneboard/findings';
import { packSeries } from '@tuneboard/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, testDatabases, type TestApi, type TestUser } from './harness';

// Project.runGroups: the runs table's groups over every run matching the filter, and runs(group:) to list one group.

const GROUPS = /* GraphQL */ `
  query ($p: ID!, $f: String, $g: RunGroupByInput!, $m: [RunMetricColumnInput!], $o: RunOrder, $first: Int) {
    project(id: $p) {
      runGroups(filter: $f, groupBy: $g, metrics: $m, orderBy: $o, first: $first) {
        paths
        runCount
        groupCount
        truncated
        groups {
          key
          label
          values
          runCount
          metrics {
            key
            aggregate
            n
            mean
            std
            low
            high
          }
        }
      }
    }
  }
`;

const GROUP_RUNS = /* GraphQL */ `
  query ($p: ID!, $f: String, $group: RunGroupInput, $first: Int, $after: String) {
    runs(projectId: $p, filter: $f, group: $group, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        params
      }
    }
  }
`;

const series = (key: string, values: number[]) =>
  packSeries({ key, steps: values.map((_, i) => i), values, wallTimes: values.map((_, i) => 1_764_000_000_000 + i * 1000) });

const LRS = [0.1, 0.01, 0.001];
const WIDTHS = [32, 64];
const SEEDS = 60;

/** Run i of the sweep: its configuration, and its accuracy (null: never logged) and loss history. */
function sweepRun(i: number) {
  const lr = LRS[i % 3]!;
  const width = WIDTHS[Math.floor(i / 3) % 2]!;
  const seed = Math.floor(i / 6);
  const accuracy = i % 13 === 0 ? null : 0.6 + 0.1 * LRS.indexOf(lr) + (width === 64 ? 0.05 : 0) + ((i * 37) % 101) / 2000;
  const loss = [2 - (accuracy ?? 0.5), 1 - (accuracy ?? 0.5) + ((i * 11) % 7) / 100];
  return { params: { lr, width, seed }, accuracy, loss };
}

for (const database of testDatabases()) {
  describe(`runGroups on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let bob: TestUser;
    let project: string;
    const runs = Array.from({ length: LRS.length * WIDTHS.length * SEEDS }, (_, i) => sweepRun(i));
    let runIds: string[] = [];

    beforeAll(async () => {
      api = await startTestApi(database);
      alice = await api.user('alice@example.com', 'ml');
      bob = await api.user('bob@example.com', 'other');
      project = (await alice.ok(`mutation($t: ID!) { createProject(teamId: $t, name: "sweep", schemaKind: INFERRED) { id } }`, { t: alice.teamId }))
        .createProject.id;
      const submitted = await alice.ok(`mutation($i: SubmitRunsInput!) { submitRuns(input: $i) { runs { run { id } } } }`, {
        i: { projectId: project, execution: 'EXTERNAL', runs: runs.map((run, i) => ({ name: `r${i}`, hparamsText: JSON.stringify(run.params) })) },
      });
      runIds = submitted.submitRuns.runs.map((r: any) => r.run.id);
      await alice.ok(`mutation($input: FinishRunsInput!) { finishRuns(input: $input) { accepted } }`, {
        input: {
          runs: runs.map((run, i) => ({
            runId: runIds[i],
            status: 'SUCCEEDED',
            metrics: [...(run.accuracy === null ? [] : [series('acc', [run.accuracy])]), series('loss', run.loss)],
          })),
        },
      });
    }, 120_000);
    afterAll(() => api?.close());

    const metrics = [
      { key: 'acc', aggregate: 'LAST' },
      { key: 'loss', aggregate: 'MIN' },
      { key: 'loss', aggregate: 'LAST' },
      { key: 'missing', aggregate: 'MAX' },
    ];

    /** The groups computed here, run by run: count, and per metric the mean and sample standard deviation. */
    function byHand(key: (run: ReturnType<typeof sweepRun>) => string) {
      const groups = new Map<string, ReturnType<typeof sweepRun>[]>();
      for (const run of runs) groups.set(key(run), [...(groups.get(key(run)) ?? []), run]);
      return new Map(
        [...groups].map(([k, members]) => {
          const stat = (values: number[]) => {
            let sum = 0;
            for (const v of values) sum += v;
            const mean = sum / values.length;
            let squares = 0;
            for (const v of values) squares += (v - mean) ** 2;
            return { n: values.length, mean, std: Math.sqrt(squares / (values.length - 1)), values };
          };
          return [
            k,
            {
              count: members.length,
              acc: stat(members.flatMap((r) => (r.accuracy === null ? [] : [r.accuracy]))),
              lossMin: stat(members.map((r) => Math.min(...r.loss))),
              lossLast: stat(members.map((r) => r.loss.at(-1)!)),
            },
          ];
        }),
      );
    }

    it('groups all 360 runs by everything but the seed, with the counts and means computed by hand', async () => {
      const result = (await alice.ok(GROUPS, { p: project, g: { allButSeeds: true }, m: metrics })).project.runGroups;
      expect(result).toMatchObject({ paths: ['lr', 'width'], runCount: 360, groupCount: 6, truncated: false });
      // By their values, numbers numerically: lr 0.001 first, then width 32 before 64.
      expect(result.groups.map((g: any) => g.label)).toEqual([
        'lr=0.001, width=32',
        'lr=0.001, width=64',
        'lr=0.01, width=32',
        'lr=0.01, width=64',
        'lr=0.1, width=32',
        'lr=0.1, width=64',
      ]);
      const expected = byHand((run) => `lr=${run.params.lr}, width=${run.params.width}`);
      for (const group of result.groups) {
        const hand = expected.get(group.label)!;
        expect(group.runCount).toBe(hand.count);
        expect(group.values).toEqual({ lr: Number(group.label.split(/[=,]/)[1]), width: Number(group.label.split('=')[2]) });
        const [acc, lossMin, lossLast, missing] = group.metrics;
        for (const [got, want] of [
          [acc, hand.acc],
          [lossMin, hand.lossMin],
          [lossLast, hand.lossLast],
        ] as const) {
          expect(got.n).toBe(want.n);
          expect(got.mean).toBeCloseTo(want.mean, 12);
          expect(got.std).toBeCloseTo(want.std, 12);
          // The interval is compare's band's (meanInterval), over the same values.
          const band = meanInterval(want.values);
          expect(got.low).toBeCloseTo(band.low!, 12);
          expect(got.high).toBeCloseTo(band.high!, 12);
        }
        expect(acc.n).toBeLessThan(group.runCount);
        expect(lossMin).toMatchObject({ key: 'loss', aggregate: 'MIN' });
        expect(missing).toEqual({ key: 'missing', aggregate: 'MAX', n: 0, mean: null, std: null, low: null, high: null });
      }
      expect(result.groups.reduce((sum: number, g: any) => sum + g.runCount, 0)).toBe(360);
    });

    it('groups by chosen paths, within the filter, sorted by a metric sort, and caps the groups', async () => {
      const byWidth = (await alice.ok(GROUPS, { p: project, g: { paths: ['width'] }, m: metrics.slice(0, 1) })).project.runGroups;
      expect(byWidth.groups.map((g: any) => [g.label, g.runCount])).toEqual([
        ['width=32', 180],
        ['width=64', 180],
      ]);
      const hand = byHand((run) => `width=${run.params.width}`);
      expect(byWidth.groups[1].metrics[0].mean).toBeCloseTo(hand.get('width=64')!.acc.mean, 12);

      const filtered = (await alice.ok(GROUPS, { p: project, f: 'width = 32 and lr > 0.005', g: { paths: ['lr', 'width'] }, m: [] })).project.runGroups;
      expect(filtered).toMatchObject({ runCount: 120, groupCount: 2 });
      expect(filtered.groups.map((g: any) => g.label)).toEqual(['lr=0.01, width=32', 'lr=0.1, width=32']);

      const sorted = (await alice.ok(GROUPS, { p: project, g: { allButSeeds: true }, o: { field: 'METRIC_LAST', metric: 'acc', direction: 'DESC' } })).project
        .runGroups;
      const means = [...byHand((run) => `lr=${run.params.lr}, width=${run.params.width}`)].map(([label, g]) => [label, g.acc.mean] as const);
      expect(sorted.groups.map((g: any) => g.label)).toEqual(means.sort((a, b) => b[1] - a[1]).map(([label]) => label));
      // The sort's metric is read to order the groups, not returned when no column asked for it.
      expect(sorted.groups[0].metrics).toEqual([]);

      const capped = (await alice.ok(GROUPS, { p: project, g: { allButSeeds: true }, first: 2 })).project.runGroups;
      expect(capped).toMatchObject({ runCount: 360, groupCount: 6, truncated: true });
      expect(capped.groups).toHaveLength(2);
    });

    it('lists one group’s runs page by page with runs(group:)', async () => {
      const { groups } = (await alice.ok(GROUPS, { p: project, g: { allButSeeds: true } })).project.runGroups;
      const group = groups.find((g: any) => g.label === 'lr=0.01, width=64');
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page: any = (await alice.ok(GROUP_RUNS, { p: project, group: { by: { allButSeeds: true }, key: group.key }, first: 25, after })).runs;
        expect(page.totalCount).toBe(60);
        for (const node of page.nodes) expect(node.params).toMatchObject({ lr: 0.01, width: 64 });
        seen.push(...page.nodes.map((n: any) => n.id));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(new Set(seen).size).toBe(60);
      // With the filter the groups were formed under; a key no group has lists nothing.
      const filtered = await alice.ok(GROUP_RUNS, { p: project, f: 'seed < 10', group: { by: { allButSeeds: true }, key: group.key }, first: 50 });
      expect(filtered.runs.totalCount).toBe(10);
      const none = await alice.ok(GROUP_RUNS, { p: project, group: { by: { paths: ['lr'] }, key: Buffer.from('[42]').toString('base64url') }, first: 50 });
      expect(none.runs).toMatchObject({ totalCount: 0, nodes: [] });
    });

    it('refuses bad input with BAD_USER_INPUT and a clear message', async () => {
      const refusal = async (variables: Record<string, unknown>, query = GROUPS) => {
        const result = await alice.request(query, { p: project, ...variables });
        expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        return result.errors![0]!.message;
      };
      expect(await refusal({ g: { paths: ['lrr'] } })).toBe('Unknown hyperparameter "lrr" in groupBy.paths');
      expect(await refusal({ g: { paths: [] } })).toBe('groupBy.paths takes 1 to 8 paths, got 0');
      expect(await refusal({ g: { paths: ['lr', 'width', 'seed', 'a', 'b', 'c', 'd', 'e', 'f'] } })).toBe('groupBy.paths takes 1 to 8 paths, got 9');
      expect(await refusal({ g: { paths: ['lr', 'lr'] } })).toBe('groupBy.paths names "lr" twice');
      expect(await refusal({ g: { paths: ['lr'], allButSeeds: true } })).toBe('groupBy takes either paths or allButSeeds, not both');
      expect(await refusal({ g: {} })).toBe('groupBy needs paths (1 to 8) or allButSeeds: true');
      expect(await refusal({ g: { allButSeeds: false } })).toBe('groupBy needs paths (1 to 8) or allButSeeds: true');
      // The filter's own message, as the runs listing gives it.
      const runsMessage = (await alice.request(GROUP_RUNS, { p: project, f: 'lr >', first: 1 })).errors![0]!.message;
      expect(runsMessage).toMatch(/^Invalid filter: /);
      expect(await refusal({ f: 'lr >', g: { allButSeeds: true } })).toBe(runsMessage);
      expect(await refusal({ f: 'nope = 1', g: { allButSeeds: true } })).toMatch(/^Invalid filter: .*nope/);
      expect(await refusal({ g: { allButSeeds: true }, first: 0 })).toBe('first must be between 1 and 500');
      expect(await refusal({ g: { allButSeeds: true }, first: 501 })).toBe('first must be between 1 and 500');
      expect(await refusal({ g: { allButSeeds: true }, m: Array.from({ length: 31 }, (_, i) => ({ key: `m${i}`, aggregate: 'LAST' })) })).toBe(
        'metrics lists at most 30 columns, got 31',
      );
      expect(await refusal({ g: { allButSeeds: true }, m: [{ key: ' ', aggregate: 'LAST' }] })).toBe(
        'metrics[0].key must be a metric key (1 to 500 characters)',
      );
      expect(await refusal({ g: { allButSeeds: true }, o: { field: 'METRIC_LAST' } })).toBe('orderBy.metric is required when sorting by METRIC_LAST');
      expect(await refusal({ group: { by: { paths: ['lrr'] }, key: '[1]' } }, GROUP_RUNS)).toBe('Unknown hyperparameter "lrr" in group.by.paths');
      expect(await refusal({ group: { by: {}, key: '[1]' } }, GROUP_RUNS)).toBe('group.by needs paths (1 to 8) or allButSeeds: true');
    });

    it('answers NOT_FOUND for another team’s project, and costs as an expensive field', async () => {
      const foreign = await bob.request(GROUPS, { p: project, g: { allButSeeds: true } });
      expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(foreign.data?.project ?? null).toBeNull();
      const foreignRuns = await bob.request(GROUP_RUNS, { p: project, group: { by: { allButSeeds: true }, key: 'x' } });
      expect(foreignRuns.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const aliases = Array.from({ length: 11 }, (_, i) => `g${i}: runGroups(groupBy: { allButSeeds: true }) { runCount }`).join(' ');
      const tooMany = await alice.request(`query($p: ID!) { project(id: $p) { ${aliases} } }`, { p: project });
      expect(tooMany.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    });
  });
}
