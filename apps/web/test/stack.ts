// Starts what the browser test and the benchmark drive: the real API (with its local trainer worker) on a
// fresh embedded database, the built Next app, and Debian's Chromium. stop() ends every child, even on failure.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

const WEB_DIR = resolve(import.meta.dirname, '..');
const REPO_DIR = resolve(WEB_DIR, '../..');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Stack {
  apiUrl: string;
  webUrl: string;
  /** Dashboards started from `options.baselineWebDir` (another build, for side-by-side benchmarks), on the same API. */
  baselineWebUrl?: string;
  token: string;
  teamId: string;
  browser: BrowserContext;
  /** Calls the API as the owner, for setting up data the test is not about. */
  gql<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

export async function startStack(options: { workers?: number; baselineWebDir?: string } = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'tuneboard-web-'));
  const children: ChildProcess[] = [];
  let browser: BrowserContext | undefined;
  const stop = async () => {
    await browser?.close().catch(() => undefined);
    await Promise.all(children.map(stopProcessGroup));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const api = spawnGroup(process.execPath, [join(REPO_DIR, 'apps/api/bin/tuneboard.mjs'), 'start'], REPO_DIR, {
      TUNEBOARD_DATA_DIR: join(dir, 'data'),
      PORT: '0',
      TUNEBOARD_LOG_LEVEL: 'warn',
      TUNEBOARD_WORKERS: String(options.workers ?? 1),
    });
    children.push(api);
    const banner = await waitForOutput(api, /Tuneboard API\s+(http:\/\/127\.0\.0\.1:\d+\/graphql)/, 60_000);
    const apiUrl = banner[1]!;
    const admin = JSON.parse(readFileSync(join(dir, 'admin-token.json'), 'utf8')) as { token: string; team: { id: string } };

    const startWeb = async (webDir: string) => {
      const webPort = await freePort();
      const web = spawnGroup(process.execPath, [require_next(), 'start', '--port', String(webPort), '--hostname', '127.0.0.1'], webDir, {
        TUNEBOARD_API_URL: apiUrl,
        NEXT_TELEMETRY_DISABLED: '1',
      });
      children.push(web);
      const url = `http://127.0.0.1:${webPort}`;
      await waitForHttp(`${url}/sign-in`, 60_000, web);
      return url;
    };
    const webUrl = await startWeb(WEB_DIR);
    const baselineWebUrl = options.baselineWebDir ? await startWeb(options.baselineWebDir) : undefined;

    browser = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
      executablePath: CHROMIUM_PATH,
      headless: true,
      viewport: { width: 1440, height: 1000 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const gql = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
      const response = await fetch(apiUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
      if (body.errors?.length || !body.data) throw new Error(`GraphQL: ${body.errors?.map((e) => e.message).join('; ')}`);
      return body.data;
    };
    return { apiUrl, webUrl, ...(baselineWebUrl ? { baselineWebUrl } : {}), token: admin.token, teamId: admin.team.id, browser, gql, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function require_next(): string {
  return join(REPO_DIR, 'node_modules/next/dist/bin/next');
}

/** Its own process group, so stopping it also stops what it started (the API's trainer workers). */
function spawnGroup(command: string, args: string[], cwd: string, env: Record<string, string>): ChildProcess {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  Object.defineProperty(child, 'recentOutput', { get: () => output });
  return child;
}

export function recentOutput(child: ChildProcess): string {
  return (child as ChildProcess & { recentOutput?: string }).recentOutput ?? '';
}

async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  const timeout = new Promise<'timeout'>((resolveTimeout) => setTimeout(() => resolveTimeout('timeout'), 5_000).unref());
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    signal('SIGKILL');
    await exited;
  }
}

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolveMatch, reject) => {
    let seen = '';
    const timer = setTimeout(() => finish(new Error(`Timed out waiting for ${pattern}; output:\n${seen}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) finish(undefined, match);
    };
    const onExit = (code: number | null) => finish(new Error(`Exited with ${code} before ${pattern}; output:\n${seen}`));
    function finish(error?: Error, match?: RegExpMatchArray) {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolveMatch(match!);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

async function waitForHttp(url: string, timeoutMs: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The web app exited with ${child.exitCode}:\n${recentOutput(child)}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${url}:\n${recentOutput(child)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}
