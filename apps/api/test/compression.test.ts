import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_METRICS, METRIC_SERIES, startTestApi, SUBMIT_RUN, testDatabases, type TestApi, type TestUser } from './harness';

/** A raw request (POST with a JSON body, or GET), so the test sees the bytes on the wire (fetch would decompress them out of sight). */
function post(url: string, token: string, body: unknown, acceptEncoding: string) {
  return new Promise<{ encoding: string | undefined; vary: string | undefined; bytes: Buffer }>((resolve, reject) => {
    const req = request(url, {
      method: body === null ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'accept-encoding': acceptEncoding },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ encoding: res.headers['content-encoding'], vary: res.headers.vary as string | undefined, bytes: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body === null ? undefined : JSON.stringify(body));
  });
}

const decode = ({ encoding, bytes }: { encoding: string | undefined; bytes: Buffer }) =>
  JSON.parse((encoding === 'br' ? brotliDecompressSync(bytes) : encoding === 'gzip' ? gunzipSync(bytes) : bytes).toString('utf8'));

for (const database of testDatabases()) {
  describe(`compressed answers on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let runId: string;

    beforeAll(async () => {
      api = await startTestApi(database);
      alice = await api.user('alice@example.com', 'vision');
      const projectId = (await alice.ok(`mutation($t: ID!) { createProject(teamId: $t, name: "curves", schemaKind: INFERRED) { id } }`, { t: alice.teamId }))
        .createProject.id;
      runId = (await alice.ok(SUBMIT_RUN, { input: { projectId, execution: 'EXTERNAL', hparams: { lr: 0.1 } } })).submitRun.run.id;
      const steps = Array.from({ length: 5_000 }, (_, i) => i);
      await alice.ok(LOG_METRICS, { runId, series: [{ key: 'loss', steps, values: steps.map((s) => 2.3 * Math.exp(-s / 1500)) }] });
    });
    afterAll(() => api?.close());

    it('compresses large GraphQL and MLflow answers for clients that accept it, and only those', async () => {
      const query = { query: METRIC_SERIES, variables: { runIds: [runId], keys: ['loss'], maxPoints: 5_000 } };
      const plain = await post(api.server.url, alice.token, query, 'identity');
      expect(plain.encoding).toBeUndefined();
      for (const accepted of ['gzip, deflate, br', 'gzip']) {
        const compressed = await post(api.server.url, alice.token, query, accepted);
        expect(compressed.encoding).toBe(accepted === 'gzip' ? 'gzip' : 'br');
        expect(compressed.vary).toBe('accept-encoding');
        expect(decode(compressed)).toEqual(decode(plain));
        // A metric curve's JSON shrinks several times over.
        expect(compressed.bytes.length * 2.5).toBeLessThan(plain.bytes.length);
      }
      // A small answer goes as it is.
      const small = await post(api.server.url, alice.token, { query: '{ viewer { email } }' }, 'br');
      expect(small.encoding).toBeUndefined();
      expect(decode(small).data.viewer.email).toBe('alice@example.com');

      const history = await post(
        new URL(`/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=loss&max_results=5000`, api.server.url).toString(),
        alice.token,
        null,
        'br',
      );
      expect(history.encoding).toBe('br');
      expect(decode(history).metrics).toHaveLength(5_000);
    });
  });
}
