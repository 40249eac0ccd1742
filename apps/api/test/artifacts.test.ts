import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../src/artifacts/local';
import { mlflowArtifactUri } from '../src/services/artifacts';
import { startTestApi, SUBMIT_RUN, testDatabases, type TestApi, type TestUser } from './harness';

const MB = 1024 * 1024;
const LIMIT = 8 * MB;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json(): any;
}

/**
 * One HTTP request with the path sent exactly as given (fetch would resolve `..` and `%2e%2e` before sending).
 * `body` is written in chunks of at most 1 MB, as a stream; `chunked` leaves out Content-Length.
 */
function send(
  port: number,
  method: string,
  path: string,
  options: { token?: string | null; body?: Buffer; chunked?: boolean; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body && !options.chunked) headers['content-length'] = String(options.body.length);
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) });
      });
      res.on('error', reject);
    });
    // The server may answer (413, 404) and close before the whole body is sent: the answer is what counts.
    req.on('error', reject);
    const body = options.body;
    if (!body) return void req.end();
    let offset = 0;
    const writeMore = () => {
      while (offset < body.length) {
        const chunk = body.subarray(offset, offset + MB);
        offset += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', writeMore);
      }
      req.end();
    };
    writeMore();
  });
}

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

for (const database of testDatabases()) {
  describe(`run artifacts over HTTP on ${database.name}`, () => {
    let api: TestApi;
    let port: number;
    let alice: TestUser;
    let vera: TestUser; // a viewer in alice's team
    let bob: TestUser; // another team
    let base: string;
    let root: string;
    let outside: string;
    let projectId: string;
    let runId: string;
    let otherProjectId: string;
    let bobRunId: string;
    let bobProjectId: string;
    let artifactsUrl: string;
    const mlflow = (path: string) => `/api/2.0/mlflow-artifacts/artifacts/${path}`;

    /** What the base directory holds besides the store, and what "outside" holds: never anything new. */
    const expectNothingOutside = () => {
      expect(readdirSync(base).sort()).toEqual(['artifacts', 'outside']);
      expect(readdirSync(outside).sort()).toEqual(['secret.txt']);
      expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('not yours');
      expect(readdirSync(join(root, '.incoming'))).toEqual([]);
    };

    const createProject = async (user: TestUser, name: string) =>
      (
        await user.ok(`mutation ($teamId: ID!, $name: String!) { createProject(teamId: $teamId, name: $name, schemaKind: INFERRED) { id } }`, {
          teamId: user.teamId,
          name,
        })
      ).createProject.id as string;
    const createRun = async (user: TestUser, project: string) =>
      (await user.ok(SUBMIT_RUN, { input: { projectId: project, execution: 'EXTERNAL', hparams: { lr: 0.1 } } })).submitRun.run.id as string;

    beforeAll(async () => {
      base = mkdtempSync(join(tmpdir(), 'tuneboard-artifacts-http-'));
      root = join(base, 'artifacts');
      outside = join(base, 'outside');
      mkdirSync(outside);
      writeFileSync(join(outside, 'secret.txt'), 'not yours');
      api = await startTestApi(database, { artifacts: await LocalArtifactStore.open(root), maxArtifactBytes: LIMIT });
      port = api.server.port;
      alice = await api.user('alice@example.com', 'vision');
      vera = await api.user('vera@example.com', 'vision', 'viewer');
      bob = await api.user('bob@example.com', 'other');
      projectId = await createProject(alice, 'mlflow-import');
      otherProjectId = await createProject(alice, 'elsewhere');
      runId = await createRun(alice, projectId);
      bobProjectId = await createProject(bob, 'bobs');
      bobRunId = await createRun(bob, bobProjectId);
      artifactsUrl = `${projectId}/${runId}/artifacts`;
    });
    afterAll(async () => {
      await api?.close();
      rmSync(base, { recursive: true, force: true });
    });

    it('uploads, lists nested directories one level at a time, and downloads byte-exact (5 MB binary, streamed)', async () => {
      const model = randomBytes(5 * MB + 123);
      expect((await send(port, 'PUT', mlflow(`${artifactsUrl}/model/data/weights.bin`), { token: alice.token, body: model, chunked: true })).json()).toEqual(
        {},
      );
      const put = await send(port, 'PUT', mlflow(`${artifactsUrl}/model/MLmodel`), { token: alice.token, body: Buffer.from('flavors: {}\n') });
      expect(put.status).toBe(200);
      expect(put.json()).toEqual({});
      await send(port, 'PUT', mlflow(`${artifactsUrl}/loss%20curve.png`), { token: alice.token, body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 255]) });

      const top = await send(port, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(artifactsUrl)}`, { token: alice.token });
      expect(top.status).toBe(200);
      expect(top.json()).toEqual({
        files: [
          { path: 'loss curve.png', is_dir: false, file_size: 6 },
          { path: 'model', is_dir: true },
        ],
      });
      const nested = await send(port, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(`${artifactsUrl}/model`)}`, { token: alice.token });
      expect(nested.json()).toEqual({
        files: [
          { path: 'MLmodel', is_dir: false, file_size: 12 },
          { path: 'data', is_dir: true },
        ],
      });
      const deeper = await send(port, 'GET', `/ajax-api/2.0/mlflow-artifacts/artifacts?path=${artifactsUrl}/model/data`, { token: alice.token });
      expect(deeper.json()).toEqual({ files: [{ path: 'weights.bin', is_dir: false, file_size: model.length }] });

      const got = await send(port, 'GET', mlflow(`${artifactsUrl}/model/data/weights.bin`), { token: alice.token });
      expect(got.status).toBe(200);
      expect(got.headers['content-length']).toBe(String(model.length));
      expect(got.headers['content-type']).toBe('application/octet-stream');
      expect(got.headers['content-disposition']).toBe("attachment; filename*=UTF-8''weights.bin");
      expect(got.headers['x-content-type-options']).toBe('nosniff');
      expect(sha(got.body)).toBe(sha(model));
      const png = await send(port, 'GET', `/ajax-api/2.0/mlflow-artifacts/artifacts/${artifactsUrl}/loss%20curve.png`, { token: alice.token });
      expect([...png.body]).toEqual([0x89, 0x50, 0x4e, 0x47, 0, 255]);
      expect(readFileSync(join(root, runId, 'model', 'MLmodel'), 'utf8')).toBe('flavors: {}\n');
      expectNothingOutside();
    });

    it('reads what MLflow clients send: the list path form-encoded by requests (%2F, + for spaces), the artifact_uri it resolves', async () => {
      // mlflow-artifacts:/<experiment>/<run>/artifacts → <tracking uri>/api/2.0/mlflow-artifacts/artifacts/<experiment>/<run>/artifacts
      expect(mlflowArtifactUri(projectId, runId)).toBe(`mlflow-artifacts:/${artifactsUrl}`);
      await send(port, 'PUT', mlflow(`${artifactsUrl}/eval%20plots/roc%20(val).png`), {
        token: alice.token,
        body: Buffer.from('roc'),
        headers: { 'content-type': 'image/png' },
      });
      const listed = await send(port, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=${projectId}%2F${runId}%2Fartifacts%2Feval+plots`, {
        token: alice.token,
      });
      expect(listed.json()).toEqual({ files: [{ path: 'roc (val).png', is_dir: false, file_size: 3 }] });
    });

    it('serves a tracking URI that names a team (/teams/<team>/api/2.0/mlflow-artifacts/…): the run decides the team', async () => {
      const put = await send(port, 'PUT', `/teams/anything${mlflow(`${artifactsUrl}/teamed.txt`)}`, { token: alice.token, body: Buffer.from('teamed') });
      expect(put.status).toBe(200);
      expect((await send(port, 'GET', `/teams/anything${mlflow(`${artifactsUrl}/teamed.txt`)}`, { token: alice.token })).body.toString()).toBe('teamed');
      const listed = await send(port, 'GET', `/teams/x/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(artifactsUrl)}`, { token: alice.token });
      expect(listed.json().files).toContainEqual({ path: 'teamed.txt', is_dir: false, file_size: 6 });
      // The prefix is only stripped before an artifact path: anything else under /teams/ is not an artifact route.
      expect((await send(port, 'GET', `/teams/x/../api/2.0/mlflow-artifacts/artifacts/${artifactsUrl}/teamed.txt`, { token: alice.token })).status).not.toBe(
        200,
      );
      expectNothingOutside();
    });

    it('lists an empty or missing directory, and a file, as no files (what MLflow clients expect)', async () => {
      const fresh = await createRun(alice, projectId);
      const list = (path: string) => send(port, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(path)}`, { token: alice.token });
      expect((await list(`${projectId}/${fresh}/artifacts`)).json()).toEqual({ files: [] });
      expect((await list(`${artifactsUrl}/nowhere`)).json()).toEqual({ files: [] });
      expect((await list(`${artifactsUrl}/model/MLmodel`)).json()).toEqual({ files: [] });
      const missing = await send(port, 'GET', '/api/2.0/mlflow-artifacts/artifacts', { token: alice.token });
      expect(missing.status).toBe(400);
      expect(missing.json()).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('?path=<experiment_id>/<run_id>/artifacts') });
    });

    it('overwrites a file with a new upload', async () => {
      await send(port, 'PUT', mlflow(`${artifactsUrl}/notes.txt`), { token: alice.token, body: Buffer.from('first version, longer') });
      await send(port, 'PUT', mlflow(`${artifactsUrl}/notes.txt`), { token: alice.token, body: Buffer.from('second') });
      const got = await send(port, 'GET', mlflow(`${artifactsUrl}/notes.txt`), { token: alice.token });
      expect(got.body.toString()).toBe('second');
      expect(got.headers['content-length']).toBe('6');
    });

    it('answers a missing file with RESOURCE_DOES_NOT_EXIST, and a directory/file clash with RESOURCE_CONFLICT', async () => {
      const missing = await send(port, 'GET', mlflow(`${artifactsUrl}/no-such-file.txt`), { token: alice.token });
      expect(missing.status).toBe(404);
      expect(missing.json()).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Artifact no-such-file.txt was not found' });
      const directory = await send(port, 'GET', mlflow(`${artifactsUrl}/model`), { token: alice.token });
      expect(directory.status).toBe(404);
      const clash = await send(port, 'PUT', mlflow(`${artifactsUrl}/model`), { token: alice.token, body: Buffer.from('x') });
      expect(clash.status).toBe(409);
      expect(clash.json()).toEqual({ error_code: 'RESOURCE_CONFLICT', message: 'model is a directory; a file cannot replace it' });
    });

    describe('traversal attempts through the HTTP path are refused and write nothing outside', () => {
      const attempts: [string, string][] = [
        ['../escape.txt', '".." segments are not allowed'],
        ['a/../../../../escape.txt', '".." segments are not allowed'],
        ['%2e%2e/%2e%2e/escape.txt', '".." segments are not allowed'],
        ['%2E%2E/escape.txt', '".." segments are not allowed'],
        ['.%2e/escape.txt', '".." segments are not allowed'],
        ['%252e%252e/%252e%252e/escape.txt', 'percent-encoded twice'],
        ['..%2f..%2fescape.txt', 'an encoded "/" (%2F) is not allowed'],
        ['..\\..\\escape.txt', 'backslashes are not allowed'],
        ['..%5c..%5cescape.txt', 'backslashes are not allowed'],
        ['/etc/passwd', 'absolute paths are not allowed'],
        ['%2fetc%2fpasswd', 'an encoded "/" (%2F) is not allowed'],
        ['escape%00.txt', 'NUL characters are not allowed'],
        ['a//b.txt', 'empty segments'],
        ['%zz', 'malformed percent-encoding'],
      ];
      it.each(attempts)('PUT and GET %s: 400 INVALID_PARAMETER_VALUE (%s)', async (path, reason) => {
        const put = await send(port, 'PUT', mlflow(`${artifactsUrl}/${path}`), { token: alice.token, body: Buffer.from('planted') });
        expect(put.status).toBe(400);
        expect(put.json()).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining(reason) });
        const get = await send(port, 'GET', mlflow(`${artifactsUrl}/${path}`), { token: alice.token });
        expect(get.status).toBe(400);
        expect(get.json().message).toContain(reason);
        expectNothingOutside();
      });

      it.each([
        ['..', '".." segments are not allowed'],
        ['../..', '".." segments are not allowed'],
        ['%2e%2e', 'percent-encoded twice'], // the query string is decoded once already: %2e%2e here was %252e%252e
        ['a\\..\\..', 'backslashes are not allowed'],
        ['/etc', 'absolute paths are not allowed'],
      ])('list ?path=…/artifacts/%s: 400 (%s)', async (path, reason) => {
        const list = await send(port, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(`${artifactsUrl}/${path}`)}`, {
          token: alice.token,
        });
        expect(list.status).toBe(400);
        expect(list.json()).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining(reason) });
      });

      it('traversal in the experiment/run part is not found or refused, never served', async () => {
        for (const path of [`${projectId}/../${runId}/artifacts/x.txt`, `${projectId}/${runId}/../../x.txt`, `..%2f${runId}/artifacts/x.txt`]) {
          const put = await send(port, 'PUT', mlflow(path), { token: alice.token, body: Buffer.from('planted') });
          expect([400, 404]).toContain(put.status);
          expect(put.json().error_code).toMatch(/INVALID_PARAMETER_VALUE|RESOURCE_DOES_NOT_EXIST/);
        }
        expectNothingOutside();
      });

      it('a symbolic link planted in the store directory is not followed by a write, a read or a listing', async () => {
        const planted = await createRun(alice, projectId);
        await send(port, 'PUT', mlflow(`${projectId}/${planted}/artifacts/ok.txt`), { token: alice.token, body: Buffer.from('ok') });
        symlinkSync(outside, join(root, planted, 'linked'));
        const put = await send(port, 'PUT', mlflow(`${projectId}/${planted}/artifacts/linked/planted.txt`), { token: alice.token, body: Buffer.from('x') });
        expect(put.status).toBe(400);
        expect(put.json()).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('linked is a symbolic link') });
        const get = await send(port, 'GET', mlflow(`${projectId}/${planted}/artifacts/linked/secret.txt`), { token: alice.token });
        expect(get.status).toBe(400);
        expect(get.body.toString()).not.toContain('not yours');
        const list = await send(port, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=${projectId}/${planted}/artifacts/linked`, { token: alice.token });
        expect(list.status).toBe(400);
        const top = await send(port, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=${projectId}/${planted}/artifacts`, { token: alice.token });
        expect(top.json()).toEqual({ files: [{ path: 'ok.txt', is_dir: false, file_size: 2 }] });
        // A link to a file: reading it is refused; a write replaces the link, never writing through it.
        symlinkSync(join(outside, 'secret.txt'), join(root, planted, 'secret.txt'));
        expect((await send(port, 'GET', mlflow(`${projectId}/${planted}/artifacts/secret.txt`), { token: alice.token })).status).toBe(400);
        expect(
          (await send(port, 'PUT', mlflow(`${projectId}/${planted}/artifacts/secret.txt`), { token: alice.token, body: Buffer.from('mine') })).status,
        ).toBe(200);
        // The whole run directory replaced by a link.
        const whole = await createRun(alice, projectId);
        symlinkSync(outside, join(root, whole));
        const through = await send(port, 'GET', mlflow(`${projectId}/${whole}/artifacts/secret.txt`), { token: alice.token });
        expect(through.status).toBe(400);
        expect(through.json().message).toContain('the run directory is a symbolic link');
        expect((await send(port, 'PUT', mlflow(`${projectId}/${whole}/artifacts/x.txt`), { token: alice.token, body: Buffer.from('x') })).status).toBe(400);
        rmSync(join(root, whole));
        expectNothingOutside();
      });
    });

    describe('access', () => {
      it("another team's run is RESOURCE_DOES_NOT_EXIST, whether uploading, downloading or listing", async () => {
        await send(port, 'PUT', mlflow(`${bobProjectId}/${bobRunId}/artifacts/bob.txt`), { token: bob.token, body: Buffer.from('bob') });
        const put = await send(port, 'PUT', mlflow(`${bobProjectId}/${bobRunId}/artifacts/bob.txt`), { token: alice.token, body: Buffer.from('overwritten') });
        expect(put.status).toBe(404);
        expect(put.json()).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Run ${bobRunId} was not found` });
        const get = await send(port, 'GET', mlflow(`${bobProjectId}/${bobRunId}/artifacts/bob.txt`), { token: alice.token });
        expect(get.status).toBe(404);
        const list = await send(port, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=${bobProjectId}/${bobRunId}/artifacts`, { token: alice.token });
        expect(list.status).toBe(404);
        expect(list.json().error_code).toBe('RESOURCE_DOES_NOT_EXIST');
        expect(readFileSync(join(root, bobRunId, 'bob.txt'), 'utf8')).toBe('bob');
        // Under Tuneboard's own route too.
        expect((await send(port, 'GET', `/api/runs/${bobRunId}/artifacts/bob.txt`, { token: alice.token })).status).toBe(404);
      });

      it("the experiment id must be the run's project: another project's id is RESOURCE_DOES_NOT_EXIST", async () => {
        const put = await send(port, 'PUT', mlflow(`${otherProjectId}/${runId}/artifacts/x.txt`), { token: alice.token, body: Buffer.from('x') });
        expect(put.status).toBe(404);
        expect(put.json()).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Run ${runId} was not found` });
        expect((await send(port, 'GET', mlflow(`0/${runId}/artifacts/notes.txt`), { token: alice.token })).status).toBe(404);
        expect((await send(port, 'GET', mlflow(`${projectId}/not-a-run/artifacts/notes.txt`), { token: alice.token })).status).toBe(404);
        expect(existsSync(join(root, runId, 'x.txt'))).toBe(false);
      });

      it('a viewer reads but cannot upload (PERMISSION_DENIED)', async () => {
        expect((await send(port, 'GET', mlflow(`${artifactsUrl}/notes.txt`), { token: vera.token })).body.toString()).toBe('second');
        const put = await send(port, 'PUT', mlflow(`${artifactsUrl}/notes.txt`), { token: vera.token, body: Buffer.from('viewer') });
        expect(put.status).toBe(403);
        expect(put.json()).toEqual({ error_code: 'PERMISSION_DENIED', message: expect.stringContaining('Your role in this team is viewer') });
      });

      it('no token or an invalid one is 401 UNAUTHENTICATED, and nothing is stored', async () => {
        for (const token of [null, 'tb_not-a-real-token']) {
          const put = await send(port, 'PUT', mlflow(`${artifactsUrl}/anonymous.txt`), { token, body: Buffer.from('x') });
          expect(put.status).toBe(401);
          expect(put.json()).toEqual({ error_code: 'UNAUTHENTICATED', message: expect.stringContaining('Authorization: Bearer') });
          expect((await send(port, 'GET', mlflow(`${artifactsUrl}/notes.txt`), { token })).status).toBe(401);
          expect((await send(port, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=${artifactsUrl}`, { token })).status).toBe(401);
        }
        expect(existsSync(join(root, runId, 'anonymous.txt'))).toBe(false);
      });
    });

    describe('size limit', () => {
      it('refuses a declared oversize upload with 413 before reading it, and keeps the previous file', async () => {
        await send(port, 'PUT', mlflow(`${artifactsUrl}/big.bin`), { token: alice.token, body: Buffer.from('previous') });
        const put = await send(port, 'PUT', mlflow(`${artifactsUrl}/big.bin`), { token: alice.token, body: randomBytes(LIMIT + 1) });
        expect(put.status).toBe(413);
        expect(put.json()).toEqual({
          error_code: 'INVALID_PARAMETER_VALUE',
          message: expect.stringContaining('larger than the limit of 8 MB (TUNEBOARD_MAX_ARTIFACT_MB)'),
        });
        expect(readFileSync(join(root, runId, 'big.bin'), 'utf8')).toBe('previous');
        expectNothingOutside();
      });

      it('refuses a streamed (chunked) upload once it passes the limit, leaving no partial file', async () => {
        const put = await send(port, 'PUT', mlflow(`${artifactsUrl}/streamed.bin`), { token: alice.token, body: randomBytes(LIMIT + MB), chunked: true });
        expect(put.status).toBe(413);
        expect(put.json().error_code).toBe('INVALID_PARAMETER_VALUE');
        expect(existsSync(join(root, runId, 'streamed.bin'))).toBe(false);
        expectNothingOutside();
        // Exactly the limit is accepted.
        const exact = await send(port, 'PUT', mlflow(`${artifactsUrl}/exact.bin`), { token: alice.token, body: randomBytes(LIMIT), chunked: true });
        expect(exact.status).toBe(200);
      });
    });

    it('an upload the client abandons half-way leaves no partial file', async () => {
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: mlflow(`${artifactsUrl}/abandoned.bin`),
        headers: { authorization: `Bearer ${alice.token}`, 'content-length': String(4 * MB) },
      });
      req.on('error', () => undefined);
      req.write(randomBytes(MB));
      // Wait until the server has started writing the upload, then drop the connection.
      for (let i = 0; i < 100 && readdirSync(join(root, '.incoming')).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      req.destroy();
      for (let i = 0; i < 100 && readdirSync(join(root, '.incoming')).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(existsSync(join(root, runId, 'abandoned.bin'))).toBe(false);
      expectNothingOutside();
    });

    it("Tuneboard's own download route serves the same file", async () => {
      const got = await send(port, 'GET', `/api/runs/${runId}/artifacts/model/MLmodel`, { token: alice.token });
      expect(got.status).toBe(200);
      expect(got.body.toString()).toBe('flavors: {}\n');
      expect((await send(port, 'GET', `/api/runs/${runId}/artifacts/%2e%2e/x`, { token: alice.token })).status).toBe(400);
      expect((await send(port, 'GET', `/api/runs/${runId}/artifacts/model/MLmodel`)).status).toBe(401);
    });

    it("Tuneboard's own upload route (the SDK's and the worker's) stores a file behind the same checks", async () => {
      const native = (path: string) => `/api/runs/${runId}/artifacts/${path}`;
      const bytes = randomBytes(64 * 1024);
      expect((await send(port, 'PUT', native('checkpoints/attempt-1/epoch-1/weights.bin'), { token: alice.token, body: bytes })).status).toBe(200);
      expect(sha((await send(port, 'GET', native('checkpoints/attempt-1/epoch-1/weights.bin'), { token: alice.token })).body)).toBe(sha(bytes));
      const refused = async (path: string, token: string | null, body = Buffer.from('x')) => {
        const answer = await send(port, 'PUT', path, { token, body });
        return { status: answer.status, code: answer.json().error_code as string };
      };
      expect(await refused(native('%2e%2e/escape.txt'), alice.token)).toEqual({ status: 400, code: 'INVALID_PARAMETER_VALUE' });
      expect(await refused(native('a%5C..%5Cescape.txt'), alice.token)).toEqual({ status: 400, code: 'INVALID_PARAMETER_VALUE' });
      expect(await refused(native('anonymous.txt'), null)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      expect(await refused(native('viewer.txt'), vera.token)).toEqual({ status: 403, code: 'PERMISSION_DENIED' });
      expect(await refused(`/api/runs/${bobRunId}/artifacts/alice.txt`, alice.token)).toEqual({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' });
      expect(await refused(native('huge.bin'), alice.token, randomBytes(LIMIT + 1))).toEqual({ status: 413, code: 'INVALID_PARAMETER_VALUE' });
      for (const name of ['anonymous.txt', 'viewer.txt', 'huge.bin']) expect(existsSync(join(root, runId, name))).toBe(false);
      expect(existsSync(join(root, bobRunId, 'alice.txt'))).toBe(false);
      expectNothingOutside();
    });

    it('other methods and endpoints are refused in MLflow error bodies', async () => {
      const del = await send(port, 'DELETE', mlflow(`${artifactsUrl}/notes.txt`), { token: alice.token });
      expect(del.status).toBe(405);
      expect(del.headers.allow).toBe('GET, PUT');
      expect(del.json().error_code).toBe('BAD_REQUEST');
      const mpu = await send(port, 'POST', '/api/2.0/mlflow-artifacts/mpu/create/x', { token: alice.token });
      expect(mpu.status).toBe(404);
      expect(mpu.json().error_code).toBe('ENDPOINT_NOT_FOUND');
      expect((await send(port, 'GET', mlflow(`${artifactsUrl}/notes.txt`), { token: alice.token })).status).toBe(200);
    });

    it("GraphQL lists a run's artifacts (Run.artifacts) one level at a time, with the same path checks", async () => {
      const query = `query ($id: ID!, $path: String) { run(id: $id) { artifacts(path: $path) { path isDir size } } }`;
      const top = await alice.ok(query, { id: runId });
      expect(top.run.artifacts).toContainEqual({ path: 'model', isDir: true, size: null });
      expect(top.run.artifacts).toContainEqual({ path: 'notes.txt', isDir: false, size: 6 });
      expect((await alice.ok(query, { id: runId, path: 'model/data' })).run.artifacts).toEqual([
        { path: 'model/data/weights.bin', isDir: false, size: 5 * MB + 123 },
      ]);
      // A directory read per run: an operation may ask for at most 10 listings.
      const many = await alice.request(`{ ${Array.from({ length: 11 }, (_, i) => `r${i}: run(id: "${runId}") { artifacts { path } }`).join(' ')} }`);
      expect(many.status).toBe(400);
      expect(many.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
      expect(many.errors?.[0]?.message).toContain('Run.artifacts');
      const bad = await alice.request(query, { id: runId, path: '../..' });
      expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(bad.errors?.[0]?.message).toContain('".." segments are not allowed');
    });
  });
}
