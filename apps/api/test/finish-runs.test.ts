import { packSeries } from '@tuneboard/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_METRICS, MLP_CONFIG, startTestApi, SUBMIT_RUN, testDatabases, type TestApi, type TestUser } from './harness';

// finishRuns: the metric histories and final statuses of many EXTERNAL runs in one request and one transaction.

const FINISH_RUNS = /* GraphQL */ `
  mutation ($input: FinishRunsInput!) {
    finishRuns(input: $input) {
      accepted
      runs {
        id
        status
        error
        finishedAt
      }
    }
  }
`;

const RUNS = /* GraphQL */ `
  query ($p: ID!) {
    runs(projectId: $p, first: 100, orderBy: { field: NAME, direction: ASC }) {
      edges {
        node {
          id
          name
          status
          error
          metrics {
            key
            pointCount
            last
            min
            max
          }
        }
      }
    }
  }
`;

const RUN_EVENTS = /* GraphQL */ `
  subscription ($id: ID!) {
    runEvents(runId: $id) {
      kind
      run {
        status
      }
      metrics {
        key
        steps
        values
      }
    }
  }
`;

/** A series as finishRuns takes it (packed). */
const series = (key: string, values: number[], from = 0) =>
  packSeries({ key, steps: values.map((_, i) => from + i), values, wallTimes: values.map((_, i) => 1_764_000_000_000 + (from + i) * 1000) });

for (const database of testDatabases()) {
  describe(`finishRuns on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let viewer: TestUser;
    let bob: TestUser;

    beforeAll(async () => {
      api = await startTestApi(database);
      alice = await api.user('alice@example.com', 'ml');
      viewer = await api.user('vera@example.com', 'ml', 'viewer');
      bob = await api.user('bob@example.com', 'other');
    });
    afterAll(() => api?.close());

    /** A fresh inferred project of the user's with `count` EXTERNAL runs named r0, r1, …; their ids in order. */
    const externalRuns = async (user: TestUser, project: string, count: number): Promise<{ projectId: string; runIds: string[] }> => {
      const projectId = (
        await user.ok(`mutation($t: ID!, $n: String!) { createProject(teamId: $t, name: $n, schemaKind: INFERRED) { id } }`, { t: user.teamId, n: project })
      ).createProject.id;
      const submitted = await user.ok(`mutation($i: SubmitRunsInput!) { submitRuns(input: $i) { runs { run { id } } } }`, {
        i: { projectId, execution: 'EXTERNAL', runs: Array.from({ length: count }, (_, i) => ({ name: `r${i}`, hparamsText: `{"i": ${i}}` })) },
      });
      return { projectId, runIds: submitted.submitRuns.runs.map((r: any) => r.run.id) };
    };
    const runsOf = async (projectId: string) => (await alice.ok(RUNS, { p: projectId })).runs.edges.map((e: any) => e.node);

    it('stores every run’s points and final status in one request, and a batch sent again changes nothing', async () => {
      const { projectId, runIds } = await externalRuns(alice, 'finished', 3);
      const input = {
        runs: [
          { runId: runIds[0], status: 'SUCCEEDED', metrics: [series('loss', [0.9, 0.5, 0.25]), series('acc', [0.5, 0.75])] },
          { runId: runIds[1]!.toUpperCase(), status: 'FAILED', error: 'Recorded as failed in mlflow:x', metrics: [series('loss', [1, Number.NaN])] },
          { runId: runIds[2], status: 'CANCELLED' },
        ],
      };
      const result = (await alice.ok(FINISH_RUNS, { input })).finishRuns;
      expect(result.accepted).toBe(7);
      expect(result.runs.map((r: any) => [r.id, r.status, r.error])).toEqual([
        [runIds[0], 'SUCCEEDED', null],
        [runIds[1], 'FAILED', 'Recorded as failed in mlflow:x'],
        [runIds[2], 'CANCELLED', null],
      ]);
      expect(result.runs.every((r: any) => r.finishedAt !== null)).toBe(true);
      const stored = await runsOf(projectId);
      expect(stored.map((r: any) => [r.name, r.status, r.metrics])).toEqual([
        [
          'r0',
          'SUCCEEDED',
          [
            { key: 'acc', pointCount: 2, last: 0.75, min: 0.5, max: 0.75 },
            { key: 'loss', pointCount: 3, last: 0.25, min: 0.25, max: 0.9 },
          ],
        ],
        ['r1', 'FAILED', [{ key: 'loss', pointCount: 2, last: 'NaN', min: 1, max: 1 }]],
        ['r2', 'CANCELLED', []],
      ]);
      const points = await alice.ok(`query($r: [ID!]!) { metricSeries(runIds: $r, keys: ["loss"]) { steps values wallTimes } }`, { r: [runIds[0]] });
      expect(points.metricSeries).toEqual([
        { steps: [0, 1, 2], values: [0.9, 0.5, 0.25], wallTimes: [1_764_000_000_000, 1_764_000_001_000, 1_764_000_002_000] },
      ]);

      // A retry of the same batch (its answer was lost): the points are replaced, not doubled; statuses stay.
      const again = (await alice.ok(FINISH_RUNS, { input })).finishRuns;
      expect(again.accepted).toBe(7);
      expect(await runsOf(projectId)).toEqual(stored);
    });

    it('merges points a run already has (an import resumed after its logMetrics), the batch winning', async () => {
      const { projectId, runIds } = await externalRuns(alice, 'resumed', 1);
      await alice.ok(LOG_METRICS, { runId: runIds[0], series: [{ key: 'loss', steps: [0, 1, 2, 3], values: [9, 9, 9, 9] }] });
      const result = await alice.ok(FINISH_RUNS, { input: { runs: [{ runId: runIds[0], status: 'SUCCEEDED', metrics: [series('loss', [0.3, 0.2], 1)] }] } });
      expect(result.finishRuns.accepted).toBe(2);
      const [run] = await runsOf(projectId);
      expect(run.metrics).toEqual([{ key: 'loss', pointCount: 4, last: 9, min: 0.2, max: 9 }]);
      const points = await alice.ok(`query($r: [ID!]!) { metricSeries(runIds: $r) { steps values } }`, { r: runIds });
      expect(points.metricSeries).toEqual([{ steps: [0, 1, 2, 3], values: [9, 0.3, 0.2, 9] }]);
    });

    it('tells subscribers of each run its appended metrics, then its status change', async () => {
      const { runIds } = await externalRuns(alice, 'watched', 2);
      const client = alice.subscribe();
      const events: any[] = [];
      let live!: () => void;
      const listening = new Promise<void>((resolve) => (live = resolve));
      let finished!: () => void;
      const done = new Promise<void>((resolve) => (finished = resolve));
      const unsubscribe = client.subscribe(
        { query: RUN_EVENTS, variables: { id: runIds[1] } },
        {
          next: (message) => {
            const event = message.data?.runEvents as any;
            live();
            // Probes only prove the subscription is live; graphql-ws does not acknowledge a subscribe.
            if (!event || event.metrics.some((m: { key: string }) => m.key === 'probe')) return;
            events.push(event);
            if (events.length === 2) finished();
          },
          error: (error) => {
            throw error;
          },
          complete: () => {},
        },
      );
      for (let step = 0; ; step++) {
        await alice.ok(LOG_METRICS, { runId: runIds[1], points: [{ key: 'probe', step, value: 0 }] });
        if (await Promise.race([listening.then(() => true), new Promise((r) => setTimeout(() => r(false), 100))])) break;
        if (step > 100) throw new Error('the subscription never delivered an event');
      }
      await alice.ok(FINISH_RUNS, {
        input: {
          runs: [
            { runId: runIds[0], status: 'SUCCEEDED', metrics: [series('loss', [5])] },
            { runId: runIds[1], status: 'SUCCEEDED', metrics: [series('loss', [0.5, 0.4])] },
          ],
        },
      });
      await done;
      unsubscribe();
      expect(events).toEqual([
        // "run" is the run as it is when the event is delivered: finished by then.
        { kind: 'METRICS_APPENDED', run: { status: 'SUCCEEDED' }, metrics: [{ key: 'loss', steps: [0, 1], values: [0.5, 0.4] }] },
        { kind: 'STATUS_CHANGED', run: { status: 'SUCCEEDED' }, metrics: [] },
      ]);
    });

    it('refuses a batch over its bounds, naming the run where it goes over, and stores nothing', async () => {
      const { projectId, runIds } = await externalRuns(alice, 'bounded', 2);
      const tooMany = await alice.request(FINISH_RUNS, {
        input: { runs: Array.from({ length: 1_001 }, () => ({ runId: runIds[0], status: 'SUCCEEDED' })) },
      });
      expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(tooMany.errors?.[0]?.message).toBe('finishRuns takes 1 to 1,000 runs, got 1,001');
      expect((await alice.request(FINISH_RUNS, { input: { runs: [] } })).errors?.[0]?.message).toBe('finishRuns takes 1 to 1,000 runs, got 0');

      const many = (n: number) => Array.from({ length: n }, (_, i) => i / n);
      const tooManyPoints = await alice.request(FINISH_RUNS, {
        input: {
          runs: [
            { runId: runIds[0], status: 'SUCCEEDED', metrics: [series('loss', many(600_000))] },
            { runId: runIds[1], status: 'SUCCEEDED', metrics: [series('loss', many(400_001))] },
          ],
        },
      });
      expect(tooManyPoints.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(tooManyPoints.errors?.[0]?.message).toContain(
        'finishRuns takes at most 1,000,000 metric points per request, and runs[0] to runs[1] already hold 1,000,001',
      );
      expect(tooManyPoints.errors?.[0]?.extensions?.problems).toEqual([{ path: 'runs[1].metrics', message: 'too many points for one request' }]);
      expect((await runsOf(projectId)).map((r: any) => [r.status, r.metrics])).toEqual([
        ['RUNNING', []],
        ['RUNNING', []],
      ]);
    });

    it('refuses malformed input with a problem per run, and stores nothing', async () => {
      const { projectId, runIds } = await externalRuns(alice, 'malformed', 2);
      const good = { runId: runIds[0], status: 'SUCCEEDED', metrics: [series('loss', [1, 2])] };
      const refuse = async (second: Record<string, unknown>) => {
        const result = await alice.request(FINISH_RUNS, { input: { runs: [good, second] } });
        expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        return { message: result.errors![0]!.message, problems: result.errors![0]!.extensions!.problems };
      };
      // Steps and values of different lengths, a negative step, a bad key: named at runs[1].metrics[j]….
      const uneven = { ...series('loss', [1, 2, 3]), values: packSeries({ key: 'loss', steps: [0], values: [1] }).values };
      expect(await refuse({ runId: runIds[1], status: 'FAILED', metrics: [series('acc', [1]), uneven] })).toEqual({
        message: 'runs[1].metrics[1] (loss) has 3 steps but 1 values. Nothing was stored.',
        problems: [{ path: 'runs[1].metrics[1]', message: 'runs[1].metrics[1] (loss) has 3 steps but 1 values' }],
      });
      const negative = { key: 'loss', steps: Buffer.from(new Int32Array([0, -1]).buffer).toString('base64'), values: series('loss', [1, 2]).values };
      expect((await refuse({ runId: runIds[1], status: 'FAILED', metrics: [negative] })).problems).toEqual([
        { path: 'runs[1].metrics[0].steps[1]', message: expect.stringContaining('must be a whole number from 0 to 2147483647, got -1') },
      ]);
      expect((await refuse({ runId: runIds[1], status: 'FAILED', metrics: [{ ...series('loss', [1]), key: ' ' }] })).problems).toEqual([
        { path: 'runs[1].metrics[0].key', message: 'runs[1].metrics[0].key must be a non-empty string' },
      ]);
      // A status that does not end a run, the same run twice.
      expect((await refuse({ runId: runIds[1], status: 'RUNNING' })).problems).toEqual([
        { path: 'runs[1].status', message: 'must be SUCCEEDED, FAILED, CANCELLED or DIVERGED, got RUNNING' },
      ]);
      expect((await refuse({ runId: runIds[0]!.toUpperCase(), status: 'FAILED' })).problems).toEqual([
        { path: 'runs[1].runId', message: 'is the run of runs[0] again; give each run once' },
      ]);
      expect((await runsOf(projectId)).map((r: any) => [r.status, r.metrics])).toEqual([
        ['RUNNING', []],
        ['RUNNING', []],
      ]);
    });

    it('finishes only runs the token may write: another team’s is not found, a viewer is forbidden', async () => {
      const { projectId, runIds } = await externalRuns(alice, 'guarded', 1);
      const theirs = (await externalRuns(bob, 'bobs', 1)).runIds[0];
      const foreign = await alice.request(FINISH_RUNS, {
        input: {
          runs: [
            { runId: runIds[0], status: 'SUCCEEDED', metrics: [series('loss', [1])] },
            { runId: theirs, status: 'SUCCEEDED', metrics: [series('loss', [1])] },
          ],
        },
      });
      expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(foreign.errors?.[0]?.message).toBe(`runs[1]: Run ${theirs} was not found. Nothing was stored.`);
      // An id that is not one reads the same as another team's.
      const unknown = await alice.request(FINISH_RUNS, { input: { runs: [{ runId: 'nope', status: 'SUCCEEDED' }] } });
      expect(unknown.errors?.[0]?.message).toBe('runs[0]: Run nope was not found. Nothing was stored.');

      const asViewer = await viewer.request(FINISH_RUNS, { input: { runs: [{ runId: runIds[0], status: 'SUCCEEDED', metrics: [series('loss', [1])] }] } });
      expect(asViewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(asViewer.errors?.[0]?.message).toMatch(/^runs\[0\]: Your role in this team is viewer/);

      const anonymous = await fetch(api.server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: FINISH_RUNS, variables: { input: { runs: [{ runId: runIds[0], status: 'SUCCEEDED' }] } } }),
      });
      expect(((await anonymous.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');

      expect((await runsOf(projectId)).map((r: any) => [r.status, r.metrics])).toEqual([['RUNNING', []]]);
      const bobs = (await bob.ok(`query($id: ID!) { run(id: $id) { status metrics { key } } }`, { id: theirs })).run;
      expect(bobs).toEqual({ status: 'RUNNING', metrics: [] });
    });

    it('refuses runs that are not a script’s to finish: queued for a worker, or already ended otherwise', async () => {
      const builtin = (await alice.ok(`mutation($t: ID!) { createProject(teamId: $t, name: "queued") { id } }`, { t: alice.teamId })).createProject.id;
      const queued = (await alice.ok(SUBMIT_RUN, { input: { projectId: builtin, hparams: MLP_CONFIG } })).submitRun.run.id;
      const { projectId, runIds } = await externalRuns(alice, 'ended', 2);
      await alice.ok(`mutation($id: ID!) { setRunStatus(input: { runId: $id, status: CANCELLED }) { id } }`, { id: runIds[1] });

      const conflict = async (runs: unknown[]) => {
        const result = await alice.request(FINISH_RUNS, { input: { runs } });
        expect(result.errors?.[0]?.extensions?.code).toBe('CONFLICT');
        return result.errors![0]!.message;
      };
      expect(
        await conflict([
          { runId: runIds[0], status: 'SUCCEEDED', metrics: [series('loss', [1])] },
          { runId: queued, status: 'SUCCEEDED' },
        ]),
      ).toBe('runs[1]: the run is queued for a worker; only runs your own code reports (EXTERNAL) are finished here. Nothing was stored.');
      expect(
        await conflict([
          { runId: runIds[0], status: 'SUCCEEDED', metrics: [series('loss', [1])] },
          { runId: runIds[1], status: 'SUCCEEDED' },
        ]),
      ).toBe('runs[1]: the run is already cancelled; it cannot become succeeded. Nothing was stored.');
      expect((await runsOf(projectId)).map((r: any) => [r.status, r.metrics])).toEqual([
        ['RUNNING', []],
        ['CANCELLED', []],
      ]);
    });

    it('weighs what a batch answers by its runs: a selection cheap for one run is refused for a thousand', async () => {
      const { runIds } = await externalRuns(alice, 'weighed', 1);
      const heavy = /* GraphQL */ `
        mutation ($input: FinishRunsInput!) {
          finishRuns(input: $input) {
            runs {
              project {
                runs(first: 100) {
                  nodes {
                    id
                  }
                }
              }
            }
          }
        }
      `;
      const thousand = await alice.request(heavy, { input: { runs: Array.from({ length: 1_000 }, () => ({ runId: runIds[0], status: 'SUCCEEDED' })) } });
      expect(thousand.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
      const one = await alice.request(heavy, { input: { runs: [{ runId: runIds[0], status: 'SUCCEEDED' }] } });
      expect(one.errors).toBeUndefined();
      expect(one.data.finishRuns.runs[0].project.runs.nodes).toEqual([{ id: runIds[0] }]);
    });
  });
}
