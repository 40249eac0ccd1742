import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server';
import { LOG_METRICS, MLP_CONFIG, postGraphQL, startWithProject, SUBMIT_RUN, testDatabases, type GraphQLResult, type TestApi, type TestUser } from '../harness';

const CREATE_FINDING = `mutation($input: FindingInput!) { createFinding(input: $input) { id rule scope } }`;
const RUNS = `query($p: ID!, $f: String) { runs(projectId: $p, filter: $f, first: 500) { totalCount nodes { name } } }`;

/** Rows of the tables a NUL could have reached, to prove a refused request stored nothing. */
const STORED = ['teams', 'api_tokens', 'projects', 'runs', 'run_annotations', 'metric_summaries', 'findings', 'finding_comments'];

const codeOf = (result: GraphQLResult) => result.errors?.[0]?.extensions?.code;

for (const database of testDatabases()) {
  describe(`bad input on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let projectId: string;
    let runId: string;
    let findingId: string;

    const storedCounts = async () => {
      const counts: Record<string, number> = {};
      for (const table of STORED) counts[table] = Number((await api.store.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n);
      return counts;
    };

    beforeAll(async () => {
      ({ api, alice, projectId } = await startWithProject(database, 'input'));
      runId = (await alice.ok(SUBMIT_RUN, { input: { projectId, name: 'bs32', hparams: MLP_CONFIG } })).submitRun.run.id;
      const finding = await alice.ok(CREATE_FINDING, {
        input: { projectId, title: 'small batches', rule: 'batchSize <= 32', metric: { key: 'test.accuracy', direction: 'HIGHER' } },
      });
      findingId = finding.createFinding.id;
    });
    afterAll(() => api?.close());

    it('#8 refuses U+0000 in every operation that stores or parses text, whatever the escape, and stores nothing', async () => {
      const before = await storedCounts();
      // Each operation once with a literal (written `\u{0}`, `\u{000}` or `\u0000` in the document) and once
      // with a JSON variable; `VALUE` is where the text goes.
      const operations: Array<{ name: string; literal: string; variable: [string, Record<string, unknown>]; path: string }> = [
        {
          name: 'project name',
          literal: `mutation { createProject(teamId: "${alice.teamId}", name: "VALUE") { id } }`,
          variable: [`mutation($n: String!) { createProject(teamId: "${alice.teamId}", name: $n) { id } }`, { n: 'a\u0000b' }],
          path: 'createProject.name',
        },
        {
          name: 'run notes',
          literal: `mutation { updateRun(input: { id: "${runId}", notes: "VALUE" }) { id } }`,
          variable: [`mutation($i: UpdateRunInput!) { updateRun(input: $i) { id } }`, { i: { id: runId, notes: 'a\u0000b' } }],
          path: 'updateRun.input.notes',
        },
        {
          name: 'finding comment',
          literal: `mutation { commentOnFinding(findingId: "${findingId}", body: "VALUE") { id } }`,
          variable: [`mutation($b: String!) { commentOnFinding(findingId: "${findingId}", body: $b) { id } }`, { b: 'a\u0000b' }],
          path: 'commentOnFinding.body',
        },
        {
          name: 'run annotation',
          literal: `mutation { annotateRun(runId: "${runId}", body: "VALUE") { id } }`,
          variable: [`mutation($b: String!) { annotateRun(runId: "${runId}", body: $b) { id } }`, { b: 'a\u0000b' }],
          path: 'annotateRun.body',
        },
        {
          name: 'token name',
          literal: `mutation { createToken(name: "VALUE") { token } }`,
          variable: [`mutation($n: String!) { createToken(name: $n) { token } }`, { n: 'a\u0000b' }],
          path: 'createToken.name',
        },
        {
          name: 'team name',
          literal: `mutation { createTeam(name: "VALUE") { id } }`,
          variable: [`mutation($n: String!) { createTeam(name: $n) { id } }`, { n: 'a\u0000b' }],
          path: 'createTeam.name',
        },
        {
          name: 'metric key',
          literal: `mutation { logMetrics(runId: "${runId}", points: [{ key: "ok", step: 0, value: 1 }, { key: "VALUE", step: 0, value: 1 }]) { accepted } }`,
          variable: [
            LOG_METRICS,
            {
              runId,
              points: [
                { key: 'ok', step: 0, value: 1 },
                { key: 'a\u0000b', step: 0, value: 1 },
              ],
            },
          ],
          path: 'logMetrics.points[1].key',
        },
        {
          name: 'run filter',
          literal: `query { runs(projectId: "${projectId}", filter: "name = \\"VALUE\\"") { totalCount } }`,
          variable: [RUNS, { p: projectId, f: 'name = "a\u0000b"' }],
          path: 'runs.filter',
        },
        {
          name: 'finding rule',
          literal: `mutation { createFinding(input: { projectId: "${projectId}", title: "t", rule: "batchSize <= 32 and name = \\"VALUE\\"", metric: { key: "a", direction: HIGHER } }) { id } }`,
          variable: [
            CREATE_FINDING,
            { input: { projectId, title: 't', rule: 'batchSize <= 32 and name = "a\u0000b"', metric: { key: 'a', direction: 'HIGHER' } } },
          ],
          path: 'createFinding.input.rule',
        },
      ];
      for (const operation of operations) {
        for (const escape of ['a\\u{0}b', 'a\\u{000}b', 'a\\u0000b']) {
          const result = await alice.request(operation.literal.replace('VALUE', escape));
          expect(codeOf(result), `${operation.name} with ${escape}`).toBe('BAD_USER_INPUT');
          expect(result.errors?.[0]?.message).toContain(operation.path);
          expect(result.status).toBe(400);
        }
        const [query, variables] = operation.variable;
        const result = await alice.request(query, variables);
        expect(codeOf(result), `${operation.name} in a variable`).toBe('BAD_USER_INPUT');
        expect(result.errors?.[0]?.extensions?.problems?.[0]?.path).toMatch(/^\$/);
      }
      // Inside a JSON value too, keys included.
      const hparams = await alice.request(SUBMIT_RUN, { input: { projectId, hparams: { ...MLP_CONFIG, 'x\u0000': 1 } } });
      expect(codeOf(hparams)).toBe('BAD_USER_INPUT');
      expect(await storedCounts()).toEqual(before);
      expect((await alice.ok(`query($id: ID!) { run(id: $id) { notes } }`, { id: runId })).run.notes).toBe('');
      // A backslash followed by "u0000" is ordinary text, not a NUL.
      const text = await alice.ok(`mutation($id: ID!, $b: String!) { annotateRun(runId: $id, body: $b) { body } }`, { id: runId, b: 'C:\\u0000' });
      expect(text.annotateRun.body).toBe('C:\\u0000');
    });

    it('#8 refuses U+0000 in a subscription over WebSocket, literal or variable', async () => {
      const client = alice.subscribe();
      const outcome = (query: string, variables?: Record<string, unknown>) =>
        new Promise<unknown>((resolve) => {
          client.subscribe({ query, ...(variables ? { variables } : {}) }, { next: resolve, error: resolve, complete: () => resolve('complete') });
        });
      const literal = (await outcome(`subscription { runEvents(runId: "a\\u{0}") { kind } }`)) as { extensions?: { code?: string } }[];
      expect(literal[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const variable = (await outcome(`subscription($id: ID!) { runEvents(runId: $id) { kind } }`, { id: 'a\u0000' })) as { extensions?: { code?: string } }[];
      expect(variable[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('#9 refuses filters, rules and scopes that are too deep, too long or hold too many tests or values', async () => {
      const deep = `${'('.repeat(10_000)}batchSize = 1${')'.repeat(10_000)}`;
      const manyTests = Array.from({ length: 10_000 }, () => 'batchSize = 1').join(' or ');
      const huge = `batchSize in [${Array.from({ length: 70_000 }, (_, i) => i).join(', ')}]`;
      const longList = `batchSize in [${Array.from({ length: 10_001 }, () => '1').join(',')}]`;
      const cases: Array<[string, RegExp]> = [
        [deep, /Nested too deeply .*at most 32 deep/],
        [`${'not '.repeat(10_000)}batchSize = 1`, /Nested too deeply/],
        [manyTests, /Too many tests .*at most 1,000 tests/],
        [huge, /characters long; the limit is 200,000/],
        [longList, /Too many values .*at most 10,000 values/],
      ];
      for (const [filter, message] of cases) {
        const listed = await alice.request(RUNS, { p: projectId, f: filter });
        expect(codeOf(listed)).toBe('BAD_USER_INPUT');
        expect(listed.errors?.[0]?.message).toMatch(message);
        const rule = await alice.request(CREATE_FINDING, { input: { projectId, title: 't', rule: filter, metric: { key: 'a', direction: 'HIGHER' } } });
        expect(codeOf(rule)).toBe('BAD_USER_INPUT');
        const scope = await alice.request(CREATE_FINDING, {
          input: { projectId, title: 't', rule: 'batchSize <= 32', scope: filter, metric: { key: 'a', direction: 'HIGHER' } },
        });
        expect(codeOf(scope)).toBe('BAD_USER_INPUT');
      }
    });

    it('#9 binds a 5,000-value in list as one parameter, in filters and finding scopes', async () => {
      const numbers = Array.from({ length: 5_000 }, (_, i) => i + 100);
      numbers[4_321] = 32;
      const names = Array.from({ length: 5_000 }, (_, i) => `"run-${i}"`);
      names[17] = '"bs32"';
      const inNumbers = await alice.ok(RUNS, { p: projectId, f: `batchSize in [${numbers.join(', ')}]` });
      expect(inNumbers.runs.nodes.map((r: { name: string }) => r.name)).toEqual(['bs32']);
      const notInNumbers = await alice.ok(RUNS, { p: projectId, f: `batchSize not in [${numbers.join(', ')}]` });
      expect(notInNumbers.runs.totalCount).toBe(0);
      const inNames = await alice.ok(RUNS, { p: projectId, f: `name in [${names.join(', ')}] and model.activation in ["relu", "tanh"]` });
      expect(inNames.runs.totalCount).toBe(1);
      const inBooleans = await alice.ok(RUNS, { p: projectId, f: `batchSize in [32] and not (status in ["failed"])` });
      expect(inBooleans.runs.totalCount).toBe(1);
      // The longest chain of tests allowed compiles to SQL PostgreSQL accepts.
      const chain = Array.from({ length: 1_000 }, (_, i) => `batchSize = ${i + 1}`).join(' or ');
      expect((await alice.ok(RUNS, { p: projectId, f: chain })).runs.totalCount).toBe(1);
      const scoped = await alice.ok(CREATE_FINDING, {
        input: { projectId, title: 'named', rule: 'batchSize <= 32', scope: `name in [${names.join(', ')}]`, metric: { key: 'a', direction: 'HIGHER' } },
      });
      expect(scoped.createFinding.scope).toContain('"bs32"');
    });

    it('#11 refuses configurations with too many layers or too wide a layer, naming the field', async () => {
      const submit = (model: Record<string, unknown>) => alice.request(SUBMIT_RUN, { input: { projectId, hparams: { ...MLP_CONFIG, model } } });
      const problems = (result: GraphQLResult) => result.errors?.[0]?.extensions?.problems;
      const deepMlp = await submit({ kind: 'mlp', hiddenLayers: Array.from({ length: 100_000 }, () => 1) });
      expect(codeOf(deepMlp)).toBe('BAD_USER_INPUT');
      expect(problems(deepMlp)).toEqual([{ path: 'hparams.model.hiddenLayers', message: 'model.hiddenLayers allows at most 32 entries, got 100000' }]);
      expect(codeOf(await submit({ kind: 'mlp', hiddenLayers: Array.from({ length: 32 }, () => 8) }))).toBeUndefined();
      const wide = await submit({ kind: 'mlp', hiddenLayers: [100_000] });
      expect(problems(wide)).toEqual([{ path: 'hparams.model.hiddenLayers[0]', message: 'model.hiddenLayers[0] must be at most 65536, got 100000' }]);
      const cnn = { ...MLP_CONFIG, dataset: { name: 'mnist', trainSize: 1000, testSize: 200 } };
      const conv = (count: number) => ({ kind: 'cnn', convLayers: Array.from({ length: count }, () => ({ filters: 1, kernelSize: 1 })) });
      const deepCnn = await alice.request(SUBMIT_RUN, { input: { projectId, hparams: { ...cnn, model: conv(17) } } });
      expect(problems(deepCnn)?.[0]).toEqual({ path: 'hparams.model.convLayers', message: 'model.convLayers allows at most 16 entries, got 17' });
      const manyDense = await alice.request(SUBMIT_RUN, {
        input: { projectId, hparams: { ...cnn, model: { ...conv(1), dense: Array.from({ length: 9 }, () => 4) } } },
      });
      expect(problems(manyDense)?.[0]?.path).toBe('hparams.model.dense');
    });

    it('#11 bounds free text and lists stored beside a configuration', async () => {
      const notes = await alice.request(SUBMIT_RUN, { input: { projectId, hparams: MLP_CONFIG, notes: 'x'.repeat(100_001) } });
      expect(codeOf(notes)).toBe('BAD_USER_INPUT');
      expect(notes.errors?.[0]?.message).toBe('notes has 100,001 characters; the limit is 100,000');
      const update = await alice.request(`mutation($i: UpdateRunInput!) { updateRun(input: $i) { id } }`, { i: { id: runId, notes: 'x'.repeat(100_001) } });
      expect(codeOf(update)).toBe('BAD_USER_INPUT');
      const annotation = await alice.request(`mutation($id: ID!, $b: String!) { annotateRun(runId: $id, body: $b) { id } }`, {
        id: runId,
        b: 'x'.repeat(20_001),
      });
      expect(codeOf(annotation)).toBe('BAD_USER_INPUT');
      const comment = await alice.request(`mutation($id: ID!, $b: String!) { commentOnFinding(findingId: $id, body: $b) { id } }`, {
        id: findingId,
        b: 'x'.repeat(20_001),
      });
      expect(codeOf(comment)).toBe('BAD_USER_INPUT');
      const tags = await alice.request(SUBMIT_RUN, { input: { projectId, hparams: MLP_CONFIG, tags: Array.from({ length: 51 }, (_, i) => `t${i}`) } });
      expect(codeOf(tags)).toBe('BAD_USER_INPUT');
      // A requirement list is stored once per backend, however often it is repeated.
      const backends = await alice.ok(`mutation($input: SubmitRunInput!) { submitRun(input: $input) { run { requirements } } }`, {
        input: { projectId, hparams: MLP_CONFIG, requirements: { backends: Array.from({ length: 10_000 }, () => 'cpu') } },
      });
      expect(backends.submitRun.run.requirements).toEqual({ backends: ['cpu'] });
    });

    it('#16 answers a chunked body over the limit with the documented 413, not a reset', async () => {
      // A server of its own with a 1 MB limit, so the test sends little.
      const server = await startServer({ store: api.store, port: 0, maxBodyBytes: 1024 * 1024 });
      try {
        for (let attempt = 0; attempt < 3; attempt++) {
          const answer = await new Promise<{ status: number; connection?: string; body: string } | Error>((resolve) => {
            // No content-length: Node sends the body chunked, and keeps sending until the answer arrives.
            const req = httpRequest(server.url, { method: 'POST', headers: { 'content-type': 'application/json' } });
            let answered = false;
            req.on('response', (res) => {
              answered = true;
              let body = '';
              res.setEncoding('utf8');
              res.on('data', (chunk: string) => (body += chunk));
              res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
            });
            req.on('error', (error) => {
              if (!answered) resolve(error);
            });
            const chunk = Buffer.alloc(64 * 1024, 'a');
            let sent = 0;
            const pump = () => {
              while (!answered && sent < 64 * 1024 * 1024) {
                sent += chunk.length;
                if (!req.write(chunk)) return void req.once('drain', pump);
              }
            };
            pump();
          });
          if (answer instanceof Error) throw answer;
          expect(answer.status).toBe(413);
          expect(answer.connection).toBe('close');
          expect(JSON.parse(answer.body)).toEqual({
            errors: [{ message: 'The request body is larger than 1 MB; send metrics in smaller batches.', extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
          });
        }
        // The server still answers.
        expect((await postGraphQL(server.url, alice.token, { query: '{ viewer { email } }' })).status).toBe(200);
      } finally {
        await server.stop();
      }
    });

    it("#17 answers persisted queries (a hash mismatch included) with the protocol's PERSISTED_QUERY_NOT_SUPPORTED, not an internal error", async () => {
      // Automatic persisted queries are off: a hash-only request would skip the shape limits and the time budget
      // that run before authentication. APQ clients answered this way fall back to sending the query text.
      const query = '{ viewer { email } }';
      const lines: { level: number; msg: string }[] = [];
      const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
      const server = await startServer({ store: api.store, port: 0, logger });
      try {
        const sha256Hash = createHash('sha256').update(query).digest('hex');
        for (const body of [
          { query, extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } },
          { query, extensions: { persistedQuery: { version: 2, sha256Hash } } },
          { extensions: { persistedQuery: { version: 1, sha256Hash } } },
        ]) {
          const answer = await postGraphQL(server.url, alice.token, body);
          expect(codeOf(answer)).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
          expect(answer.data).toBeUndefined();
        }
      } finally {
        await server.stop();
      }
      expect(lines.filter((line) => line.level >= 40)).toEqual([]);
      // The same query with its text works.
      expect((await postGraphQL(api.server.url, alice.token, { query })).data).toEqual({ viewer: { email: 'alice@example.com' } });
    });

    it('#17 delivers runEvents to a subscription that wrote the run id in upper case', async () => {
      const upper = runId.toUpperCase();
      expect(upper).not.toBe(runId);
      const client = alice.subscribe();
      const first = new Promise<unknown>((resolve, reject) => {
        client.subscribe(
          { query: `subscription($id: ID!) { runEvents(runId: $id) { kind run { id } } }`, variables: { id: upper } },
          { next: resolve, error: reject, complete: () => reject(new Error('completed without an event')) },
        );
      });
      let delivered: unknown;
      for (let step = 1_000; delivered === undefined; step++) {
        await alice.ok(LOG_METRICS, { runId, points: [{ key: 'probe', step, value: 0 }] });
        delivered = await Promise.race([first, new Promise((resolve) => setTimeout(() => resolve(undefined), 100))]);
        if (step > 1_030) throw new Error('the subscription never delivered an event');
      }
      expect(delivered).toEqual({ data: { runEvents: { kind: 'METRICS_APPENDED', run: { id: runId } } } });
      // The other ways in agree on the case too.
      expect((await alice.ok(`query($id: ID!) { project(id: $id) { id } }`, { id: projectId.toUpperCase() })).project.id).toBe(projectId);
      const series = await alice.ok(`query($ids: [ID!]!) { metricSeries(runIds: $ids, keys: ["probe"]) { runId } }`, { ids: [upper] });
      expect(series.metricSeries).toEqual([{ runId }]);
      const cited = await alice.ok(`mutation($input: FindingInput!) { createFinding(input: $input) { citedRuns { id } } }`, {
        input: { projectId, title: 'cited', rule: 'batchSize <= 32', metric: { key: 'a', direction: 'HIGHER' }, citedRunIds: [upper, runId] },
      });
      expect(cited.createFinding.citedRuns).toEqual([{ id: runId }]);
    });

    it('#17 answers Run.param for __proto__, constructor and prototype with null', async () => {
      const result = await alice.ok(
        `query($id: ID!) { run(id: $id) { proto: param(path: "__proto__") ctor: param(path: "constructor") prototype: param(path: "prototype") hasOwn: param(path: "hasOwnProperty") batchSize: param(path: "batchSize") } }`,
        { id: runId },
      );
      expect(result.run).toEqual({ proto: null, ctor: null, prototype: null, hasOwn: null, batchSize: 32 });
    });
  });
}
