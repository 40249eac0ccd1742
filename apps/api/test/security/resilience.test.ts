import { openStore, type ListenConnectionEvents, type Store } from '@tuneboard/db';
import { connectAsAdmin } from '@tuneboard/db/testing';
import { MetricBuffer, TuneboardClient } from '@tuneboard/sdk';
import { createClient, type Client } from 'graphql-ws';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../../src/server';
import { createUserWithToken } from '../../src/services/accounts';
import { CREATE_PROJECT, freePort, LOG_METRICS, MLP_CONFIG, postGraphQL, startTestApi, SUBMIT_RUN, testDatabases, type TestApi } from '../harness';
import { killAllChildren, makeTempDir, startServerProcess, withDeadline, type ServerProcess } from '../process-harness';

/**
 * Faults in what the API stands on: its PostgreSQL connections dying (terminated backends, a restarted server),
 * event payloads too large for NOTIFY, and a revoked token whose sockets are still open. The database faults
 * run against the real server as a child process, so a crash is observable as a dead process.
 */

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
      }
    }
  }
`;

const run = promisify(execFile);
const postgres = testDatabases().find((database) => database.name === 'postgres');
const PG_VERSION = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort().at(-1) : undefined;

afterEach(killAllChildren);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  await withDeadline(
    (async () => {
      while (!(await check())) await sleep(50);
    })(),
    ms,
    what,
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function healthy(server: ServerProcess): Promise<boolean> {
  try {
    return (await fetch(server.url.replace(/\/graphql$/, '/healthz'), { signal: AbortSignal.timeout(2_000) })).status === 200;
  } catch {
    return false;
  }
}

/** A user with a project and an EXTERNAL run in `store`, for a server started on the same database. */
async function seed(store: Store, url: string) {
  const { token } = await createUserWithToken(store, { email: `alice-${randomBytes(3).toString('hex')}@example.com`, team: 'vision' });
  const client = new TuneboardClient({ url, token });
  const project = await client.findOrCreateProject('resilience');
  const { run } = await client.submitRun({ projectId: project.id, hparams: MLP_CONFIG, execution: 'EXTERNAL' });
  return { token, client, runId: run.id };
}

/**
 * SDK-style ingestion of one point every `intervalMs` through a MetricBuffer (which retries what the API did
 * not acknowledge); records exactly what was acknowledged.
 */
function startIngestion(client: TuneboardClient, runId: string, intervalMs = 10) {
  const acknowledged = new Map<number, number>();
  const errors: Error[] = [];
  const buffer = new MetricBuffer(
    async (series) => {
      await client.logMetrics(runId, series);
      for (const s of series) Array.from(s.steps).forEach((step, i) => acknowledged.set(step, Number(s.values[i])));
    },
    { flushIntervalMs: 20, maxBatchPoints: 50, maxAttempts: 60, retryBaseMs: 50, onError: (error) => errors.push(error) },
  );
  let step = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      buffer.add('train.loss', step, 1 / (step + 1));
      step++;
      await sleep(intervalMs);
    }
  })();
  return {
    acknowledged,
    errors,
    buffer,
    steps: () => step,
    async stop() {
      stopped = true;
      await loop;
      await buffer.flush();
    },
  };
}

/** A runEvents subscription on a server process, collecting every step it was told about. */
function subscribeToRun(url: string, token: string, runId: string) {
  const client: Client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: false,
    retryAttempts: 0,
    // Closing is what some tests expect; the outcome records it.
    onNonLazyError: () => {},
  });
  const steps = new Set<number>();
  /** `key@step` of every point delivered. */
  const points = new Set<string>();
  const eventErrors: unknown[] = [];
  const statuses: string[] = [];
  const outcome: { error?: unknown; completed?: boolean } = {};
  client.subscribe(
    { query: RUN_EVENTS, variables: { id: runId } },
    {
      next: (message) => {
        const event = message.data?.runEvents as { kind: string; run: { status: string } } | undefined;
        if (event?.kind === 'STATUS_CHANGED') statuses.push(event.run.status);
        // An event whose reads failed would be lost to the client: count them.
        if (message.errors) eventErrors.push(...message.errors);
        for (const series of (message.data?.runEvents as { metrics: { key: string; steps: number[] }[] } | undefined)?.metrics ?? [])
          for (const step of series.steps) (steps.add(step), points.add(`${series.key}@${step}`));
      },
      error: (error) => (outcome.error = error),
      complete: () => (outcome.completed = true),
    },
  );
  return { client, steps, points, statuses, eventErrors, outcome };
}

/** Every acknowledged point is stored once, with its value, and nothing else is. */
async function expectStoredExactly(client: TuneboardClient, runId: string, acknowledged: Map<number, number>) {
  const { metricSeries } = await client.request<{ metricSeries: { pointCount: number; steps: number[]; values: number[] }[] }>(
    `query($r: [ID!]!) { metricSeries(runIds: $r, keys: ["train.loss"], maxPoints: 100000) { pointCount steps values } }`,
    { r: [runId] },
  );
  const [series] = metricSeries;
  const expectedSteps = [...acknowledged.keys()].sort((a, b) => a - b);
  expect(series!.pointCount).toBe(expectedSteps.length);
  expect(series!.steps).toEqual(expectedSteps);
  expect(series!.values).toEqual(expectedSteps.map((step) => acknowledged.get(step)));
}

/** Every acknowledged step from the first one the subscription saw on (earlier ones predate its start). */
async function expectEveryStepDelivered(delivered: Set<number>, acknowledged: Map<number, number>, server: ServerProcess) {
  const first = Math.min(...delivered);
  const expected = [...acknowledged.keys()].filter((step) => step >= first);
  const missing = () => expected.filter((step) => !delivered.has(step));
  await waitFor(() => missing().length === 0, 20_000, 'the subscription to deliver every step').catch(() => {
    const log = server.output();
    throw new Error(
      `the subscription missed steps ${missing().join(', ')} (first delivered: ${first}, last acknowledged: ${Math.max(...acknowledged.keys())})\nserver log:\n${log.stdout.slice(-4000)}${log.stderr.slice(-4000)}`,
    );
  });
}

describe('#1 the API survives losing its PostgreSQL connections', () => {
  it('#1 survives pg_terminate_backend of all its connections 12 times during ingestion, loses no point, and live updates come back', async (ctx) => {
    if (!postgres) return ctx.skip('TEST_DATABASE_URL is unset: this fault needs a PostgreSQL server');
    const store = await postgres.open();
    const dir = makeTempDir('resilience');
    let admin: Awaited<ReturnType<typeof connectAsAdmin>> | undefined;
    try {
      const server = await startServerProcess({ DATABASE_URL: store.databaseUrl, TUNEBOARD_DATA_DIR: dir.path });
      const { token, client, runId } = await seed(store, server.url);
      admin = await connectAsAdmin(store.databaseUrl!);
      const database = new URL(store.databaseUrl!).pathname.slice(1);

      const live = subscribeToRun(server.url, token, runId);
      const ingestion = startIngestion(client, runId);
      await waitFor(() => live.steps.size > 0, 30_000, 'the subscription to deliver a first event');
      let terminated = 0;
      for (let i = 0; i < 12; i++) {
        const { rowCount } = await admin!.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [
          database,
        ]);
        terminated += rowCount ?? 0;
        await sleep(400);
        expect(isAlive(server.pid), `the API died after termination ${i + 1}:\n${server.output().stderr}`).toBe(true);
      }
      await sleep(500);
      await ingestion.stop();

      expect(terminated).toBeGreaterThanOrEqual(12);
      expect(isAlive(server.pid)).toBe(true);
      await waitFor(() => healthy(server), 15_000, '/healthz to answer 200');
      expect(ingestion.errors).toEqual([]);
      expect(ingestion.buffer.dropped).toBe(0);
      expect(ingestion.acknowledged.size).toBe(ingestion.steps());
      await expectStoredExactly(client, runId, ingestion.acknowledged);
      // Points written while LISTEN was down reach the old subscription through its catch-up.
      await expectEveryStepDelivered(live.steps, ingestion.acknowledged, server);
      expect(live.outcome.error).toBeUndefined();
      expect(live.eventErrors).toEqual([]);

      // A subscription opened after the faults is live too.
      const fresh = subscribeToRun(server.url, token, runId);
      await sleep(300);
      const last = ingestion.steps();
      await client.logMetrics(runId, [{ key: 'train.loss', steps: [last], values: [0.5] }]);
      await waitFor(() => fresh.steps.has(last), 10_000, 'a new subscription to receive an event');
      await Promise.all([live.client.dispose(), fresh.client.dispose()]);
      expect(server.output().stderr).not.toMatch(/uncaught|unhandled/i);
      await server.stop();
    } finally {
      await admin?.end().catch(() => {});
      await store.destroy();
      dir.remove();
    }
  }, 120_000);

  it('#1 survives a PostgreSQL restart (pg_ctlcluster … restart) mid-ingestion and mid-subscription', async (ctx) => {
    if (!postgres) return ctx.skip('TEST_DATABASE_URL is unset: this fault needs a PostgreSQL installation');
    if (!PG_VERSION || !existsSync('/usr/bin/pg_createcluster')) return ctx.skip("Debian's PostgreSQL cluster tools (pg_createcluster) are absent");
    if (process.getuid?.() !== 0) return ctx.skip('creating a private PostgreSQL cluster needs root (as in CI)');
    // A private cluster: restarting the shared server would break the suites running beside this one.
    const cluster = `tb_${randomBytes(4).toString('hex')}`;
    const port = await freePort();
    const dir = makeTempDir('restart');
    await run('pg_createcluster', [PG_VERSION, cluster, '-p', String(port), '--', '--auth=trust']);
    try {
      await run('pg_ctlcluster', [PG_VERSION, cluster, 'start']);
      const databaseUrl = `postgres://postgres@127.0.0.1:${port}/tuneboard`;
      const admin = await connectAsAdmin(`postgres://postgres@127.0.0.1:${port}/postgres`);
      await admin.query('create database tuneboard');
      await admin.end();
      const store = await openStore({ databaseUrl, poolSize: 2 });
      let seeded;
      try {
        const server = await startServerProcess({ DATABASE_URL: databaseUrl, TUNEBOARD_DATA_DIR: dir.path });
        seeded = { server, ...(await seed(store, server.url)) };
      } finally {
        await store.close();
      }
      const { server, token, client, runId } = seeded;

      const live = subscribeToRun(server.url, token, runId);
      const ingestion = startIngestion(client, runId);
      await waitFor(() => live.steps.size > 0, 30_000, 'the subscription to deliver a first event');
      await sleep(500);
      const stepsBeforeRestart = ingestion.steps();
      const started = performance.now();
      await run('pg_ctlcluster', [PG_VERSION, cluster, 'restart']);
      const restartMs = performance.now() - started;
      expect(isAlive(server.pid), server.output().stderr).toBe(true);
      await waitFor(() => healthy(server), 30_000, '/healthz to recover after the restart');
      const recoveredMs = performance.now() - started;
      await sleep(1_500);
      await ingestion.stop();

      expect(isAlive(server.pid)).toBe(true);
      expect(ingestion.errors).toEqual([]);
      expect(ingestion.buffer.dropped).toBe(0);
      expect(ingestion.acknowledged.size).toBe(ingestion.steps());
      expect(ingestion.steps()).toBeGreaterThan(stepsBeforeRestart);
      await expectStoredExactly(client, runId, ingestion.acknowledged);
      // Every point, those logged during and after the outage included, reached the subscription opened before.
      await expectEveryStepDelivered(live.steps, ingestion.acknowledged, server);
      expect(live.outcome.error).toBeUndefined();
      expect(live.eventErrors).toEqual([]);
      expect(server.output().stdout + server.output().stderr).toMatch(/event channel \(LISTEN\) re-established/);
      console.info(
        `restart took ${Math.round(restartMs)} ms; /healthz answered 200 after ${Math.round(recoveredMs)} ms; ${ingestion.acknowledged.size} points, none lost`,
      );
      await live.client.dispose();
      await server.stop();
    } finally {
      await run('pg_dropcluster', ['--stop', PG_VERSION, cluster]).catch(() => {});
      dir.remove();
    }
  }, 180_000);
});

for (const database of testDatabases()) {
  describe(`event delivery on ${database.name}`, () => {
    const apis: TestApi[] = [];
    afterAll(async () => {
      for (const api of apis.reverse()) await api.close();
    });

    it('#1 catches runEvents and findingEvents subscribers up on what they missed while the event channel was down', async () => {
      // The channel's loss is simulated (PGlite has no connection to lose): notifications are swallowed between
      // the store's disconnect and reconnect reports, exactly what a dead LISTEN connection does.
      const store = await database.open();
      let connection: ListenConnectionEvents = {};
      let down = false;
      const flaky: Store = {
        ...store,
        listen: (channel, onPayload, events) => {
          connection = events ?? {};
          return store.listen(channel, (payload) => down || onPayload(payload), events);
        },
      };
      const server = await startServer({ store: flaky, port: 0, logger: pino({ level: 'error' }) });
      try {
        const { token } = await createUserWithToken(store, { email: 'alice@example.com', team: 'vision' });
        const request = async (query: string, variables: Record<string, unknown>) => {
          const result = await postGraphQL(server.url, token, { query, variables });
          expect(result.errors).toBeUndefined();
          return result.data;
        };
        const projectId = (await request(CREATE_PROJECT, { teamId: (await request('{ viewer { teams { id } } }', {})).viewer.teams[0].id, name: 'gap' }))
          .createProject.id;
        const runId = (await request(SUBMIT_RUN, { input: { projectId, hparams: MLP_CONFIG } })).submitRun.run.id;
        const runs = subscribeToRun(server.url, token, runId);
        const findingKinds: string[] = [];
        const findingErrors: unknown[] = [];
        runs.client.subscribe(
          { query: 'subscription($p: ID!) { findingEvents(projectId: $p) { kind finding { title } } }', variables: { p: projectId } },
          {
            next: (message) => {
              if (message.errors) findingErrors.push(...message.errors);
              else findingKinds.push((message.data as { findingEvents: { kind: string } }).findingEvents.kind);
            },
            error: (error) => findingErrors.push(error),
            complete: () => {},
          },
        );
        for (let step = 0; runs.steps.size === 0; step++) {
          await request(LOG_METRICS, { runId, points: [{ key: 'loss', step, value: 1 }] });
          await sleep(50);
          if (step > 100) throw new Error('the subscription never delivered an event');
        }
        await request(LOG_METRICS, { runId, series: [{ key: 'loss', steps: [200, 201], values: [1, 1] }] });
        await waitFor(() => runs.steps.has(201), 10_000, 'the live loss points');
        const lastLive = Math.max(...runs.steps);
        // A key logged less often than the others (validation), delivered live well behind `loss`.
        await request(LOG_METRICS, { runId, points: [{ key: 'val', step: 0, value: 1 }] });
        await waitFor(() => runs.points.has('val@0'), 10_000, 'the live val point');

        down = true;
        connection.onDisconnect?.(new Error('simulated loss of the LISTEN connection'));
        await request(LOG_METRICS, { runId, series: [{ key: 'loss', steps: [lastLive + 1, lastLive + 2, lastLive + 3], values: [0.9, 0.8, 0.7] }] });
        await request(LOG_METRICS, { runId, series: [{ key: 'val', steps: [1], values: [0.5] }] });
        await request(`mutation($i: SetRunStatusInput!) { setRunStatus(input: $i) { id } }`, { i: { runId, status: 'RUNNING' } });
        await request(`mutation($input: FindingInput!) { createFinding(input: $input) { id } }`, {
          input: { projectId, title: 'Missed while down', rule: 'batchSize <= 32', metric: { key: 'test.accuracy', direction: 'HIGHER' } },
        });
        await sleep(300);
        expect(runs.steps.has(lastLive + 1)).toBe(false);
        expect(runs.statuses).toEqual([]);
        expect(findingKinds).toEqual([]);

        down = false;
        connection.onReconnect?.(1);
        await waitFor(() => [1, 2, 3].every((i) => runs.steps.has(lastLive + i)) && findingKinds.length > 0, 10_000, 'the catch-up events');
        // The lagging key's point, at a step below the last one delivered for `loss`, came too.
        await waitFor(() => runs.points.has('val@1'), 10_000, 'the lagging key caught up');
        expect(findingKinds).toEqual(['created']);
        expect(runs.statuses).toEqual(['RUNNING']);
        expect(findingErrors).toEqual([]);
        expect(runs.eventErrors).toEqual([]);
        await runs.client.dispose();
      } finally {
        await server.stop();
        await store.destroy();
      }
    });

    it('#10 accepts a batch whose keys make the NOTIFY payload pass 8000 bytes, and subscribers still get an event', async () => {
      const api = await startTestApi(database);
      apis.push(api);
      const alice = await api.user('alice@example.com', 'vision');
      const projectId = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'bytes' })).createProject.id;
      const runId = (await alice.ok(SUBMIT_RUN, { input: { projectId, hparams: MLP_CONFIG } })).submitRun.run.id;
      const live = subscribeToRun(api.server.url, alice.token, runId);
      // 30 keys of 190 three-byte characters: about 6,000 characters but 17,000 bytes of JSON.
      const keys = Array.from({ length: 30 }, (_, i) => `${String(i).padStart(2, '0')}${'€'.repeat(188)}`);
      expect(Buffer.byteLength(JSON.stringify(keys))).toBeGreaterThan(8000);
      expect(JSON.stringify(keys).length).toBeLessThan(7900);
      // The subscription is live once a probe gets through.
      for (let step = 0; !live.steps.has(step - 1); step++) {
        await alice.ok(LOG_METRICS, { runId, points: [{ key: 'probe', step, value: 0 }] });
        await sleep(50);
        if (step > 100) throw new Error('the subscription never delivered an event');
      }
      const result = await alice.request(LOG_METRICS, { runId, points: keys.map((key) => ({ key, step: 1000, value: 1 })) });
      expect(result.errors).toBeUndefined();
      expect(result.data.logMetrics.accepted).toBe(30);
      await waitFor(() => live.steps.has(1000), 5_000, 'an event for the multi-byte batch');
      await live.client.dispose();
    });

    it('#12 revokeToken closes open subscriptions at once, on this replica and on another one (NOTIFY)', async () => {
      const apiA = await startTestApi(database);
      apis.push(apiA);
      // A second replica on the same database: the same store for PGlite, a second pool for PostgreSQL.
      const storeB = apiA.store.kind === 'postgres' ? await openStore({ databaseUrl: apiA.store.databaseUrl!, migrate: false, poolSize: 2 }) : apiA.store;
      const serverB: RunningServer = await startServer({ store: storeB, port: 0, logger: pino({ level: 'error' }) });
      try {
        const alice = await apiA.user('alice@example.com', 'vision');
        const projectId = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'revoke' })).createProject.id;
        const runId = (await alice.ok(SUBMIT_RUN, { input: { projectId, hparams: MLP_CONFIG } })).submitRun.run.id;
        let step = 0;
        const logStep = async () => {
          const current = step++;
          await alice.ok(LOG_METRICS, { runId, points: [{ key: 'loss', step: current, value: 1 }] });
          return current;
        };

        for (const [replica, url] of [
          ['the replica that revoked it', apiA.server.url],
          ['another replica', serverB.url],
        ] as const) {
          const { createToken } = await alice.ok(`mutation { createToken(name: "laptop") { token apiToken { id } } }`);
          const live = subscribeToRun(url, createToken.token, runId);
          const closed = new Promise<{ code: number; at: number }>((resolve) =>
            live.client.on('closed', (event) => resolve({ code: (event as { code: number }).code, at: performance.now() })),
          );
          await waitFor(async () => (await logStep(), live.steps.size > 0), 10_000, `the subscription on ${replica} to be live`);

          await alice.ok(`mutation($id: ID!) { revokeToken(id: $id) { id } }`, { id: createToken.apiToken.id });
          const revokedAt = performance.now();
          const firstAfter = step;
          for (let i = 0; i < 12; i++) await logStep();
          const { code, at } = await withDeadline(closed, 2_000, `the socket on ${replica} to close`);
          await sleep(200);
          expect(code, replica).toBe(4401);
          expect(at - revokedAt, replica).toBeLessThan(1_000);
          console.info(`${database.name}: the socket on ${replica} closed ${Math.round(at - revokedAt)} ms after revokeToken answered`);
          expect(
            [...live.steps].filter((s) => s >= firstAfter),
            `events delivered on ${replica} after the revocation`,
          ).toEqual([]);
          await live.client.dispose();
        }
      } finally {
        await serverB.stop();
        if (storeB !== apiA.store) await storeB.close();
      }
    });
  });
}
