/**
 * Issue 9's adversarial figures: while one client loops the worst request of a kind, does everyone else still
 * get served? The API runs in a process of its own (so the clients' work does not share its event loop) on a
 * throw-away store holding a realistic project: 1,000 finished runs with their hyperparameters and metric
 * summaries, a finding over them, and one run with 20 metrics × 100,000 points. A second client sends a simple
 * query every 50 ms and /healthz is polled; each attack is compared with a baseline measured in the same run.
 * The attacker and the others connect from different loopback addresses, as they would from different machines
 * (the per-address limits would otherwise mix them up); each attack comes from a fresh address with a fresh
 * token, so the rate limits start from zero for it. Bounded loops, loopback only.
 */
import { accounts } from '@tuneboard/api';
import { metricStore, type Store } from '@tuneboard/db';
import { request as httpRequest } from 'node:http';
import { openBenchDatabase, startApiProcess, type Result } from './util';

/** Each attack from an address and with a token of its own, so one attack's rate limits do not blunt the next. */
const attackerAddress = (attack: number) => `127.0.0.${10 + attack}`;
const BYSTANDER_ADDRESS = '127.0.0.2';
const RUNS = 1_000;
const BIG_RUN_KEYS = 20;
const BIG_RUN_STEPS = 100_000;

interface Answer {
  status: number;
  ms: number;
  body: string;
}

/** One POST (or GET) over a fresh connection from `localAddress`. */
function send(url: string, localAddress: string, body?: string, token?: string, timeoutMs = 30_000): Promise<Answer> {
  const start = performance.now();
  return new Promise((resolve) => {
    const req = httpRequest(
      url,
      {
        method: body === undefined ? 'GET' : 'POST',
        localAddress,
        agent: false,
        timeout: timeoutMs,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - start, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', () => resolve({ status: 0, ms: performance.now() - start, body: '' }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - start, body: '' }));
    req.end(body);
  });
}

interface Seeded {
  token: string;
  attackerTokens: string[];
  projectId: string;
  findingId: string;
  bigRunId: string;
  runIds: string[];
}

async function seed(store: Store): Promise<Seeded> {
  const user = await accounts.createUserWithToken(store, { email: 'bystander@localhost', team: 'bench' });
  const attackerTokens: string[] = [];
  for (let i = 0; i < 10; i++)
    attackerTokens.push(
      (await accounts.createUserWithToken(store, { email: `attacker${i}@localhost`, team: 'bench', role: 'viewer', joinExisting: true })).token,
    );
  const [project] = await store.query<{ id: string }>(`insert into projects (team_id, name) values ($1, 'adversarial') returning id`, [user.team.id]);
  const projectId = project!.id;
  // Finished runs with a realistic set of hyperparameters (about 20 paths) and four metric summaries each.
  const runs = await store.query<{ id: string }>(
    `insert into runs (project_id, name, config, flat_params, status)
     select $1, 'run-' || i, '{}',
       jsonb_build_object('batchSize', (array[16, 32, 64, 128])[1 + i % 4], 'optimizer.name', (array['adam', 'sgd'])[1 + i % 2],
         'optimizer.learningRate', 0.0001 * (1 + i % 50), 'epochs', 1 + i % 10, 'model.kind', 'mlp', 'model.hiddenLayers[0]', 32 * (1 + i % 8),
         'dataset.name', 'mnist', 'dataset.trainSize', 8000, 'dataset.testSize', 2000, 'params', 100000 + i,
         'seed', i, 'model.activation', 'relu', 'model.dropout', (i % 5) / 10.0, 'weightDecay', 0.0001 * (i % 3),
         'lrSchedule.kind', 'constant', 'augment', i % 2 = 0, 'validationSplit', 0.1, 'earlyStopping', false),
       'succeeded'
     from generate_series(1, $2) i returning id`,
    [projectId, RUNS],
  );
  const runIds = runs.map((r) => r.id);
  for (const [i, runId] of runIds.entries())
    await metricStore.appendMetrics(
      store,
      runId,
      ['test.accuracy', 'test.loss', 'train.loss', 'train.accuracy'].map((key, k) => ({
        key,
        steps: [0, 1],
        values: [0.5, 0.9 - (i % 7) / 100 - k / 1000],
        wallTimes: null,
      })),
    );
  const [finding] = await store.query<{ id: string }>(
    `insert into findings (project_id, title, statement, rule, scope, metric_key, metric_aggregate, metric_direction, severity, status)
     values ($1, 'small batches', '', 'batchSize <= 32', '', 'test.accuracy', 'last', 'higher', 'advice', 'proposed') returning id`,
    [projectId],
  );
  const [big] = await store.query<{ id: string }>(
    `insert into runs (project_id, name, config, flat_params, status) values ($1, 'long', '{}', '{}', 'running') returning id`,
    [projectId],
  );
  const steps = Int32Array.from({ length: BIG_RUN_STEPS }, (_, i) => i);
  for (let k = 0; k < BIG_RUN_KEYS; k++)
    await metricStore.appendMetrics(store, big!.id, [
      { key: `metric.${k}`, steps, values: Float64Array.from(steps, (s) => Math.sin(s / 1000 + k)), wallTimes: null },
    ]);
  return { token: user.token, attackerTokens, projectId, findingId: finding!.id, bigRunId: big!.id, runIds };
}

const aliases = (count: number, field: string) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

function fragmentBomb(depth: number): string {
  const fragments = Array.from({ length: depth }, (_, i) =>
    i === depth - 1 ? `fragment F${i} on Viewer { email }` : `fragment F${i} on Viewer { ...F${i + 1} ...F${i + 1} }`,
  );
  return `{ viewer { ...F0 } }\n${fragments.join('\n')}`;
}

interface Attack {
  name: string;
  /** The attacker's next request (the i-th) with the attack's own token: body and the token to send. */
  next(i: number, token: string): { body: string; token?: string };
}

function attacks(s: Seeded): Attack[] {
  const gql = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });
  const keys = Array.from({ length: BIG_RUN_KEYS }, (_, k) => `metric.${k}`);
  return [
    { name: 'fragment bomb (22 doubling fragments, anonymous)', next: () => ({ body: gql(fragmentBomb(22)) }) },
    { name: 'evidence × 1,000 aliases', next: (_i, token) => ({ body: gql(aliases(1_000, `finding(id: "${s.findingId}") { evidence { verdict } }`)), token }) },
    {
      name: 'evidence × 10 aliases (largest accepted)',
      next: (_i, token) => ({ body: gql(aliases(10, `finding(id: "${s.findingId}") { evidence { verdict points { value } } }`)), token }),
    },
    {
      name: 'metricSeries × 12 aliases of 2M points',
      next: (_i, token) => ({
        body: gql(aliases(12, `metricSeries(runIds: $r, keys: $k, maxPoints: 100000) { steps values }`).replace('{', 'query($r: [ID!]!, $k: [String!]) {'), {
          r: [s.bigRunId],
          k: keys,
        }),
        token,
      }),
    },
    {
      name: 'metricSeries of 2M points (largest accepted)',
      next: (_i, token) => ({
        body: gql(`query($r: [ID!]!, $k: [String!]) { metricSeries(runIds: $r, keys: $k, maxPoints: 100000) { steps values wallTimes } }`, {
          r: [s.bigRunId],
          k: keys,
        }),
        token,
      }),
    },
    {
      name: 'totalCount × 1,000 aliases',
      next: (_i, token) => ({ body: gql(aliases(1_000, `runs(projectId: "${s.projectId}", first: 0) { totalCount }`)), token }),
    },
    {
      name: 'totalCount × 10 aliases with a metric filter (largest accepted)',
      next: (i, token) => ({
        body: gql(aliases(10, `runs(projectId: "${s.projectId}", first: 0, filter: "batchSize <= ${32 + (i % 7)}") { totalCount }`)),
        token,
      }),
    },
    { name: 'invalid-token flood', next: (i) => ({ body: gql('{ viewer { email } }'), token: `tb_guess${i}` }) },
  ];
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
}

/** The bystander's latencies and /healthz failures while `attack` (or nothing) runs for `seconds`. */
async function measure(url: string, s: Seeded, attack: { attack: Attack; index: number } | null, seconds: number) {
  const health = new URL('/healthz', url).toString();
  const simple = JSON.stringify({ query: `query($p: ID!) { runs(projectId: $p, first: 20) { nodes { id name status } } }`, variables: { p: s.projectId } });
  const end = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  let simpleFailures = 0;
  let healthFailures = 0;
  let healthChecks = 0;
  const statuses = new Map<number, number>();
  let attackerMs = 0;
  const bystander = (async () => {
    while (performance.now() < end) {
      const started = performance.now();
      const answer = await send(url, BYSTANDER_ADDRESS, simple, s.token);
      latencies.push(answer.ms);
      if (answer.status !== 200 || answer.body.includes('"errors"')) simpleFailures++;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 50 - (performance.now() - started))));
    }
  })();
  const healthPoll = (async () => {
    while (performance.now() < end) {
      const answer = await send(health, BYSTANDER_ADDRESS, undefined, undefined, 2_000);
      healthChecks++;
      if (answer.status !== 200) healthFailures++;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const attacker = (async () => {
    if (!attack) return;
    for (let i = 0; performance.now() < end; i++) {
      const { body, token } = attack.attack.next(i, s.attackerTokens[attack.index]!);
      const answer = await send(url, attackerAddress(attack.index), body, token, 60_000);
      attackerMs += answer.ms;
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    }
  })();
  await Promise.all([bystander, healthPoll, attacker]);
  latencies.sort((a, b) => a - b);
  const sent = [...statuses.values()].reduce((a, b) => a + b, 0);
  return {
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    simpleFailures,
    healthFailures,
    healthChecks,
    attackerRequests: sent,
    attackerMeanMs: sent ? Math.round(attackerMs / sent) : 0,
    statuses: [...statuses].map(([status, n]) => `${n}× ${status}`).join(', '),
  };
}

export async function benchAdversarial(kind: 'pglite' | 'postgres', scale: number): Promise<Result[]> {
  const seconds = Math.max(3, Math.round(10 * Math.min(1, scale)));
  const { store, env, cleanup } = await openBenchDatabase(kind, 'adversarial');
  console.error(`${kind}: adversarial: seeding ${RUNS} runs and ${BIG_RUN_KEYS} × ${BIG_RUN_STEPS.toLocaleString('en')} points`);
  const seeded = await seed(store);
  // The embedded store belongs to one process at a time: the API's, from here on.
  if (kind === 'pglite') await store.close();
  const api = await startApiProcess(env);
  const results: Result[] = [];
  try {
    const row = (figure: string, target: string, measured: number, unit: string, pass?: boolean): Result => ({
      database: kind,
      figure,
      target,
      measured,
      unit,
      ...(pass === undefined ? {} : { pass }),
    });
    // Warm up (JIT, caches), then the baseline.
    await measure(api.url, seeded, null, 1);
    const baseline = await measure(api.url, seeded, null, seconds);
    console.error(
      `  baseline: simple query p50 ${baseline.p50} ms, p99 ${baseline.p99} ms, /healthz failures ${baseline.healthFailures}/${baseline.healthChecks}`,
    );
    results.push(row('adversarial baseline: simple query p99 (no attack)', 'report', baseline.p99, 'ms'));
    for (const [index, attack] of attacks(seeded).entries()) {
      const m = await measure(api.url, seeded, { attack, index }, seconds);
      console.error(
        `  ${attack.name}: simple query p50 ${m.p50} ms, p99 ${m.p99} ms (${m.simpleFailures} failed), /healthz failures ${m.healthFailures}/${m.healthChecks}; attacker sent ${m.attackerRequests} (${m.statuses}), mean ${m.attackerMeanMs} ms`,
      );
      results.push(row(`adversarial ${attack.name}: simple query p99`, '< 250 ms', m.p99, 'ms', m.p99 < 250 && m.simpleFailures === 0));
      results.push(row(`adversarial ${attack.name}: /healthz failures`, '0', m.healthFailures, 'failures', m.healthFailures === 0));
    }
  } finally {
    await api.stop();
    if (kind === 'postgres') await store.close();
    await cleanup();
  }
  return results;
}
