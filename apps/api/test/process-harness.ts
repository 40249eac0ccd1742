import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Spawning the real `tuneboard` command for end-to-end tests: the CLI as a one-shot process and the server
 * as a long-lived one. Every child is tracked so `killAllChildren` (afterEach/afterAll) leaves none behind,
 * whatever the test did; every wait has a deadline and says what it was waiting for.
 */

const API_DIR = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(API_DIR, 'bin', 'tuneboard.mjs');

const children = new Set<ChildProcess>();

// A crashed or interrupted test runner must not leave servers holding ports and data directories.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Settings for a child; unset keys that would leak from the test runner's environment are removed. */
export type ChildEnv = Record<string, string | undefined>;

function childEnv(env: ChildEnv): NodeJS.ProcessEnv {
  // No local trainer workers: they would claim the runs a test submits and log metrics of their own.
  // NODE_ENV is inherited (vitest sets "test"); pass NODE_ENV: undefined to run a child as users do.
  const merged: NodeJS.ProcessEnv = { ...process.env, TUNEBOARD_LOG_LEVEL: 'warn', TUNEBOARD_WORKERS: '0' };
  // The child must use exactly the database the test names, never one from the runner's shell.
  delete merged.DATABASE_URL;
  delete merged.TUNEBOARD_DATA_DIR;
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

interface Tracked {
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnTracked(args: string[], env: ChildEnv): Tracked {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: API_DIR, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
    child.once('error', () => {
      children.delete(child);
      resolve({ code: null, signal: null });
    });
  });
  return { child, output: () => ({ stdout, stderr }), exited };
}

/** Resolves with `promise`, or rejects after `ms` with a message naming what did not happen. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `tuneboard <args>` to completion. A command still running after `timeoutMs` is killed and the call fails. */
export async function runCli(args: string[], env: ChildEnv, timeoutMs = 30_000): Promise<ProcessResult> {
  const started = performance.now();
  const tracked = spawnTracked(args, env);
  try {
    const { code, signal } = await withDeadline(tracked.exited, timeoutMs, `\`tuneboard ${args.join(' ')}\` to exit`);
    return { code, signal, ...tracked.output(), durationMs: performance.now() - started };
  } catch (error) {
    tracked.child.kill('SIGKILL');
    const { stdout, stderr } = tracked.output();
    throw new Error(`${(error as Error).message}\nstdout: ${stdout}\nstderr: ${stderr}`, { cause: error });
  }
}

export interface CliProcess {
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): { stdout: string; stderr: string };
  /** Resolves once stdout or stderr matches; fails with the output when the process exits first or the deadline passes. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Starts `tuneboard <args>` and returns at once, for tests that act on it while it runs (signals, restarts). */
export function spawnCli(args: string[], env: ChildEnv): CliProcess {
  const tracked = spawnTracked(args, env);
  return {
    process: tracked.child,
    exited: tracked.exited,
    output: tracked.output,
    async waitForOutput(pattern, timeoutMs = 30_000) {
      const matches = () => {
        const { stdout, stderr } = tracked.output();
        return pattern.test(stdout) || pattern.test(stderr);
      };
      let done = false;
      await withDeadline(
        (async () => {
          while (!matches()) {
            if (tracked.child.exitCode !== null || tracked.child.signalCode !== null) {
              const { stdout, stderr } = tracked.output();
              throw new Error(`\`tuneboard ${args.join(' ')}\` exited before printing ${pattern}\nstdout: ${stdout}\nstderr: ${stderr}`);
            }
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          done = true;
        })(),
        timeoutMs,
        `\`tuneboard ${args.join(' ')}\` to print ${pattern}`,
      ).catch((error: Error) => {
        if (done) return;
        const { stdout, stderr } = tracked.output();
        throw new Error(`${error.message}\nstdout: ${stdout}\nstderr: ${stderr}`, { cause: error });
      });
    },
  };
}

/** The JSON a CLI command printed, failing with its output when it did not succeed. */
export function cliJson<T = Record<string, unknown>>(result: ProcessResult): T {
  if (result.code !== 0) throw new Error(`tuneboard exited with ${result.code ?? result.signal}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

export interface ServerProcess {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:40123/graphql. */
  url: string;
  pid: number;
  /** What the server printed on start (the banner). */
  banner(): string;
  output(): { stdout: string; stderr: string };
  /** SIGKILL: no shutdown handler runs, nothing is flushed or unlocked. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the graceful shutdown; SIGKILL and fail when it takes longer than `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

const BANNER = /Tuneboard API\s+(http:\/\/\S+\/graphql)/;

/**
 * Starts `tuneboard start` on a random port (PORT=0) and resolves once its banner names the URL. Fails with the
 * server's output if it exits first or stays silent past the deadline.
 */
export async function startServerProcess(env: ChildEnv, timeoutMs = 60_000): Promise<ServerProcess> {
  const tracked = spawnTracked(['start'], { HOST: '127.0.0.1', PORT: '0', ...env });
  const { child } = tracked;
  const describe = () => {
    const { stdout, stderr } = tracked.output();
    return `\nstdout: ${stdout}\nstderr: ${stderr}`;
  };
  const url = await withDeadline(
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const match = BANNER.exec(tracked.output().stdout);
        if (match) resolve(match[1]!);
      };
      child.stdout!.on('data', check);
      void tracked.exited.then(({ code, signal }) => reject(new Error(`tuneboard start exited (${code ?? signal}) before serving${describe()}`)));
    }),
    timeoutMs,
    'the tuneboard server to print its URL',
  ).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(error.message.includes('stdout:') ? error.message : error.message + describe());
  });
  // The banner is printed after bootstrap finished; wait for the whole banner (it ends with an empty line).
  await withDeadline(
    (async () => {
      while (!tracked.output().stdout.endsWith('\n\n')) await new Promise((r) => setTimeout(r, 20));
    })(),
    5_000,
    'the end of the start-up banner',
  );
  return {
    url,
    pid: child.pid!,
    banner: () => tracked.output().stdout,
    output: tracked.output,
    async kill() {
      child.kill('SIGKILL');
      await withDeadline(tracked.exited, 10_000, `server pid ${child.pid} to die after SIGKILL`);
    },
    async stop(timeoutMs = 15_000) {
      child.kill('SIGTERM');
      try {
        await withDeadline(tracked.exited, timeoutMs, `server pid ${child.pid} to shut down after SIGTERM`);
      } catch (error) {
        child.kill('SIGKILL');
        throw error;
      }
    },
  };
}

/** SIGKILLs every child still running and waits for them to go; for afterEach/afterAll. */
export async function killAllChildren(): Promise<void> {
  const running = [...children];
  const gone = running.map(
    (child) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('close', () => resolve()))),
  );
  for (const child of running) child.kill('SIGKILL');
  await withDeadline(Promise.all(gone), 10_000, `${running.length} child process(es) to die`);
}

/** A fresh temporary directory; `remove` deletes it. */
export function makeTempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `tuneboard-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly errors: { message: string; extensions?: { code?: string } }[],
  ) {
    super(message);
  }
}

/** Sends one GraphQL operation; throws GraphQLRequestError when the response carries errors. */
export async function graphql<T = Record<string, any>>(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await withDeadline(
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    }),
    60_000,
    `a response from ${url}`,
  );
  const text = await response.text();
  let body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${url} answered ${response.status} with non-JSON: ${text.slice(0, 500)}`);
  }
  if (body.errors?.length) throw new GraphQLRequestError(`GraphQL errors (${response.status}): ${body.errors.map((e) => e.message).join('; ')}`, body.errors);
  return body.data!;
}
