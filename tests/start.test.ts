import { openStore } from '@tuneboard/db';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../apps/api/test/harness';

/**
 * `npm start` as a process supervisor or `docker stop` runs it: one SIGTERM to the main process must stop the
 * API, its worker and the dashboard — the worker handing its run back — and leave nothing behind.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Every live process below `pid`, read from /proc (Linux). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while we read.
    }
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const child of parents.get(p) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('npm start under a process supervisor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tuneboard-start-'));
  let npm: ChildProcess | undefined;
  afterAll(() => {
    if (npm?.pid) for (const pid of [npm.pid, ...descendants(npm.pid)]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('#18 stops everything on one SIGTERM to the main process; the worker hands back its run', async () => {
    const [apiPort, webPort] = [await freePort(), await freePort()];
    const dataDir = join(dir, 'data');
    let output = '';
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(apiPort),
      WEB_PORT: String(webPort),
      TUNEBOARD_DATA_DIR: dataDir,
      TUNEBOARD_WORKERS: '1',
      TUNEBOARD_BACKEND: 'wasm',
    };
    for (const name of ['TUNEBOARD_API_URL', 'TUNEBOARD_TOKEN', 'DATABASE_URL', 'HOST']) delete env[name];
    npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    npm.stdout!.on('data', (chunk) => (output += chunk));
    npm.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => npm!.once('exit', (code) => resolve(code)));

    const api = `http://127.0.0.1:${apiPort}/graphql`;
    const ready = async () =>
      (await fetch(`http://127.0.0.1:${webPort}/sign-in`)).ok && (await fetch(`http://127.0.0.1:${apiPort}/healthz`)).ok && output.includes('First start');
    await waitFor('the API and the dashboard', ready, 150_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${output}`);
    });
    const { token } = JSON.parse(readFileSync(join(dir, 'admin-token.json'), 'utf8')) as { token: string };
    const gql = async (query: string, variables?: object) => {
      const response = await fetch(api, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data: any; errors?: unknown };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    // The dashboard calls the API this start launched, on its non-default port (not 4000): a query through the
    // dashboard's own proxy, with the owner's session, answers.
    const viaDashboard = await fetch(`http://127.0.0.1:${webPort}/api/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: `tuneboard_session=${token}`,
        origin: `http://127.0.0.1:${webPort}`,
        'sec-fetch-site': 'same-origin',
      },
      body: JSON.stringify({ query: '{ viewer { email } }' }),
    });
    expect(((await viaDashboard.json()) as { data?: { viewer: { email: string } } }).data?.viewer.email).toBe('admin@localhost');
    const teamId = (await gql('{ viewer { teams { id } } }')).viewer.teams[0].id;
    const projectId = (await gql('mutation($t: ID!) { createProject(teamId: $t, name: "sigterm") { id } }', { t: teamId })).createProject.id;
    const hparams = {
      dataset: { name: 'spirals', trainSize: 1024, testSize: 256 },
      model: { kind: 'mlp', hiddenLayers: [64] },
      optimizer: { name: 'adam', learningRate: 0.01 },
      batchSize: 32,
      epochs: 500,
    };
    const runId = (await gql('mutation($i: SubmitRunInput!) { submitRun(input: $i) { run { id } } }', { i: { projectId, hparams } })).submitRun.run.id;
    await waitFor(
      'the worker to train the run',
      async () => (await gql('query($id: ID!) { run(id: $id) { status } }', { id: runId })).run.status === 'RUNNING',
      60_000,
    );

    const tree = descendants(npm.pid!);
    expect(tree.length).toBeGreaterThanOrEqual(4); // launcher, API, worker, dashboard
    const signalledAt = Date.now();
    npm.kill('SIGTERM');
    await exited;
    await waitFor('every process of the tree to end', async () => tree.every((pid) => !alive(pid)), 30_000).catch(() => {
      throw new Error(`still running after SIGTERM: ${tree.filter(alive).join(', ')}\n${output}`);
    });
    // Well within a supervisor's usual grace period (docker stop: 10 s); measured here: 0.4 s.
    expect(Date.now() - signalledAt).toBeLessThan(10_000);

    // The ports and the data directory are free again, and the run went back to the queue unspent.
    await Promise.all(
      [apiPort, webPort].map(
        (port) =>
          new Promise<void>((resolve, reject) => {
            const server = createServer().once('error', reject);
            server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
          }),
      ),
    );
    const store = await openStore({ dataDir });
    try {
      const [run] = await store.query<{ status: string; attempt: number }>('select status, attempt from runs where id = $1', [runId]);
      expect(run).toEqual({ status: 'queued', attempt: 0 });
    } finally {
      await store.close();
    }
  }, 240_000);
});
