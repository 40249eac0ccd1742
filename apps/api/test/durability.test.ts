import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { METRIC_SERIES } from './harness';
import { graphql, killAllChildren, makeTempDir, startServerProcess, type ServerProcess } from './process-harness';

/**
 * The embedded store's promise: a server killed with SIGKILL right after a submitRun or logMetrics call
 * returned success loses nothing of it after a restart. The real server runs as a child process on a fresh
 * data directory; it is killed without any chance to flush or unlock, restarted on the same directory (taking
 * over the stale lock), and every acknowledged run and point must come back with its exact value.
 */

const HPARAMS = {
  dataset: { name: 'mnist', trainSize: 1000, testSize: 200 },
  model: { kind: 'mlp', hiddenLayers: [32] },
  optimizer: { name: 'adam', learningRate: 0.001 },
  batchSize: 32,
  epochs: 1,
};

/** What the test believes the server acknowledged: runId → key → step → value (NaN included). */
type Acknowledged = Map<string, { status: string; metrics: Map<string, Map<number, number>> }>;

const dir = makeTempDir('durability');
const dataDir = join(dir.path, 'data');
const env = { TUNEBOARD_DATA_DIR: dataDir };

afterEach(killAllChildren);
afterAll(async () => {
  await killAllChildren();
  dir.remove();
});

function adminToken(): string {
  return (JSON.parse(readFileSync(join(dir.path, 'admin-token.json'), 'utf8')) as { token: string }).token;
}

/** Values with all 53 bits of mantissa in use, so a rounded or truncated store would show. */
function exactValue(step: number): number {
  return Math.sin(step * 12.9898) * 43758.5453123 + step / 7;
}

async function submitRun(server: ServerProcess, token: string, projectId: string, name: string, ack: Acknowledged): Promise<string> {
  const data = await graphql(
    server.url,
    token,
    `
      mutation ($input: SubmitRunInput!) {
        submitRun(input: $input) {
          run {
            id
            status
          }
          warnings {
            message
          }
        }
      }
    `,
    { input: { projectId, name, hparams: HPARAMS, tags: ['durability'] } },
  );
  const run = data.submitRun.run as { id: string; status: string };
  ack.set(run.id, { status: run.status, metrics: new Map() });
  return run.id;
}

/** Logs `steps` of `key` as one parallel-array batch; records the points only once the server acknowledged them. */
async function logSeries(server: ServerProcess, token: string, runId: string, key: string, steps: number[], values: number[], ack: Acknowledged) {
  const data = await graphql(
    server.url,
    token,
    `
      mutation ($runId: ID!, $series: [MetricSeriesInput!]) {
        logMetrics(runId: $runId, series: $series) {
          accepted
        }
      }
    `,
    { runId, series: [{ key, steps, values: values.map((v) => (Number.isNaN(v) ? 'NaN' : v)) }] },
  );
  expect(data.logMetrics.accepted).toBe(steps.length);
  const series = ack.get(runId)!.metrics;
  if (!series.has(key)) series.set(key, new Map());
  steps.forEach((step, i) => series.get(key)!.set(step, values[i]!));
}

/** The same as logSeries through the point-by-point input shape. */
async function logPoints(server: ServerProcess, token: string, runId: string, points: { key: string; step: number; value: number }[], ack: Acknowledged) {
  const data = await graphql(
    server.url,
    token,
    `
      mutation ($runId: ID!, $points: [MetricPointInput!]) {
        logMetrics(runId: $runId, points: $points) {
          accepted
        }
      }
    `,
    { runId, points: points.map((p) => ({ ...p, value: Number.isNaN(p.value) ? 'NaN' : p.value })) },
  );
  expect(data.logMetrics.accepted).toBe(points.length);
  const series = ack.get(runId)!.metrics;
  for (const p of points) {
    if (!series.has(p.key)) series.set(p.key, new Map());
    series.get(p.key)!.set(p.step, p.value);
  }
}

function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

/** Kills the server with SIGKILL and checks it left its lock behind, so the restart must take a stale lock over. */
async function killHard(server: ServerProcess): Promise<void> {
  await server.kill();
  const lock = join(dataDir, 'tuneboard.lock');
  expect(existsSync(lock), 'SIGKILL runs no exit handler, so the lock file stays').toBe(true);
  expect(Number(readFileSync(lock, 'utf8'))).toBe(server.pid);
}

/** Restarts on the same data directory; it must start, must not bootstrap again, and the first token must still work. */
async function restart(token: string): Promise<ServerProcess> {
  const tokenFile = readFileSync(join(dir.path, 'admin-token.json'), 'utf8');
  const server = await startServerProcess(env);
  expect(server.banner()).not.toContain('First start');
  expect(readFileSync(join(dir.path, 'admin-token.json'), 'utf8')).toBe(tokenFile);
  const data = await graphql(
    server.url,
    token,
    `
      {
        viewer {
          email
          teams {
            name
          }
        }
      }
    `,
  );
  expect(data.viewer).toEqual({ email: 'admin@localhost', teams: [{ name: 'default' }] });
  return server;
}

/** Every acknowledged run and point, read back exactly: summaries and the full, undownsampled series. */
async function expectAllAcknowledged(server: ServerProcess, token: string, ack: Acknowledged): Promise<void> {
  for (const [runId, expected] of ack) {
    const data = await graphql(
      server.url,
      token,
      `
        query ($id: ID!) {
          run(id: $id) {
            id
            status
            metrics {
              key
              pointCount
              nonFiniteCount
              firstStep
              lastStep
              last
              min
              max
            }
          }
        }
      `,
      { id: runId },
    );
    expect(data.run, `run ${runId} was acknowledged`).not.toBeNull();
    expect(data.run.status).toBe(expected.status);

    const summaries = new Map((data.run.metrics as { key: string }[]).map((m) => [m.key, m]));
    expect([...summaries.keys()].sort()).toEqual([...expected.metrics.keys()].sort());
    for (const [key, points] of expected.metrics) {
      const steps = [...points.keys()].sort((a, b) => a - b);
      const values = steps.map((s) => points.get(s)!);
      const finite = values.filter(Number.isFinite);
      const last = values.at(-1)!;
      expect(summaries.get(key), `summary of ${key}`).toEqual({
        key,
        pointCount: steps.length,
        nonFiniteCount: values.length - finite.length,
        firstStep: steps[0],
        lastStep: steps.at(-1),
        last: Number.isNaN(last) ? 'NaN' : last,
        min: Math.min(...finite),
        max: Math.max(...finite),
      });

      const read = await graphql(server.url, token, METRIC_SERIES, { runIds: [runId], keys: [key], maxPoints: steps.length + 10 });
      expect(read.metricSeries).toHaveLength(1);
      const series = read.metricSeries[0];
      expect(series).toMatchObject({ runId, key, pointCount: steps.length, downsampled: false });
      // Compared as whole arrays: one lost, duplicated or altered point fails the test.
      expect(series.steps).toEqual(steps);
      expect(series.values).toEqual(values.map((v) => (Number.isNaN(v) ? 'NaN' : v)));
    }
  }
}

describe('embedded store durability across SIGKILL', () => {
  it('keeps every acknowledged run and metric point when the server is killed right after the call returned', { timeout: 300_000 }, async () => {
    const ack: Acknowledged = new Map();

    // Round 1: 20,000 points of one key in four batches (one holding a NaN) plus point-style batches, then SIGKILL.
    let server = await startServerProcess(env);
    expect(server.banner()).toContain('First start');
    const token = adminToken();
    const { viewer } = await graphql(
      server.url,
      token,
      `
        {
          viewer {
            teams {
              id
              name
            }
          }
        }
      `,
    );
    const teamId = viewer.teams[0].id as string;
    const { createProject } = await graphql(
      server.url,
      token,
      `
        mutation ($teamId: ID!) {
          createProject(teamId: $teamId, name: "durability") {
            id
          }
        }
      `,
      {
        teamId,
      },
    );
    const projectId = createProject.id as string;
    const first = await submitRun(server, token, projectId, 'first', ack);
    for (let batch = 0; batch < 4; batch++) {
      const steps = range(batch * 5000, 5000);
      const values = steps.map(exactValue);
      if (batch === 2) values[1234] = Number.NaN;
      await logSeries(server, token, first, 'train/loss', steps, values, ack);
    }
    await logPoints(
      server,
      token,
      first,
      range(0, 500).map((step) => ({ key: 'val/accuracy', step: step * 40, value: exactValue(step) / 1e5 })),
      ack,
    );
    await killHard(server);

    server = await restart(token);
    await expectAllAcknowledged(server, token, ack);

    // Round 2: the last acknowledged call is a submitRun.
    await logSeries(server, token, first, 'train/loss', range(20_000, 3000), range(20_000, 3000).map(exactValue), ack);
    await submitRun(server, token, projectId, 'second', ack);
    await killHard(server);

    server = await restart(token);
    await expectAllAcknowledged(server, token, ack);

    // Round 3: the last acknowledged call rewrites stored steps (a retried, overlapping batch takes the merge path).
    const second = [...ack.keys()][1]!;
    await logSeries(server, token, second, 'train/loss', range(0, 4000), range(0, 4000).map(exactValue), ack);
    const overlap = range(2500, 3000);
    await logSeries(
      server,
      token,
      second,
      'train/loss',
      overlap,
      overlap.map((s) => -exactValue(s)),
      ack,
    );
    await logSeries(server, token, first, 'train/loss', [4999, 10_000, 10_001], [Number.NaN, 1e300, -1e300], ack);
    await killHard(server);

    server = await restart(token);
    await expectAllAcknowledged(server, token, ack);
    expect(ack.get(first)!.metrics.get('train/loss')!.size).toBe(23_000);
    await server.stop();
  });
});
