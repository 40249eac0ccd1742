import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import type { TuneboardClient } from '../client';
import { inheritedEnvironment } from '../env';
import { TuneboardError } from '../errors';
import { ConsoleLines } from './console-lines';
import { startMetricsEndpoint } from './local-endpoint';
import { parseMetricsLine, type MetricsLine } from './metrics-line';
import { Spool, type SpoolRecord } from './spool';
import { SystemSampler } from './system-metrics';

/**
 * `tuneboard run -- <command…>`: tracks any program as an EXTERNAL run. Its output is passed through unchanged and
 * stored as the run's console log; JSON metrics lines on stdout (and POSTs to a local endpoint) become metrics;
 * the process tree's CPU, memory and GPUs are sampled; the exit decides the status. Everything goes through a disk
 * buffer (spool.ts), so the API may be down for a while without anything being lost.
 */

export interface CommandRunOptions {
  client: TuneboardClient;
  /** Project name or id; created (with an inferred schema) when the team has none of that name. */
  project: string;
  team?: string;
  /** The config as JSON text (buildCommandConfig). */
  configText: string;
  name?: string;
  tags?: string[];
  notes?: string;
  overrideReason?: string;
  /** The program and its arguments. */
  command: readonly string[];
  /** Where disk buffers live (a directory per run). */
  spoolRoot: string;
  /** How often the process tree is sampled (default 10 s; 0: never). */
  systemIntervalMs?: number;
  /** How often the run tells the API it is alive (default 30 s). */
  heartbeatIntervalMs?: number;
  /** How long to keep trying to deliver after the command ended, before leaving it to `tuneboard sync` (default 2 min). */
  flushTimeoutMs?: number;
  /** Tuneboard's own messages (default: stderr, prefixed "tuneboard: "). */
  report?: (message: string) => void;
  /** Where the command's output is passed through (default: this process's stdout and stderr). */
  passThrough?: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
  /** Stop the command when this aborts, as Ctrl-C would (its reason may name the signal to send, e.g. 'SIGTERM'). */
  signal?: AbortSignal;
  /** Take SIGINT, SIGTERM and SIGHUP sent to this process as stop requests for the command (the CLI does). */
  handleSignals?: boolean;
}

export interface CommandRunResult {
  runId: string;
  /** PRUNED: early stopping (a sweep) stopped it in Tuneboard; the run keeps that status and its decision. */
  status: 'SUCCEEDED' | 'FAILED' | 'DIVERGED' | 'CANCELLED' | 'PRUNED';
  /** The command's exit code, or 128 + the signal's number when a signal ended it. */
  exitCode: number;
  /** Records not delivered (kept on disk for `tuneboard sync`); 0 normally. */
  undelivered: number;
}

/** Output lines quoted in a failed run's error. */
const ERROR_TAIL_LINES = 20;
const ERROR_MAX_CHARS = 4_000;
/** After a stop request, how long the command has to exit before it is killed. */
const KILL_AFTER_MS = 10_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runCommand(options: CommandRunOptions): Promise<CommandRunResult> {
  const report = options.report ?? ((message: string) => process.stderr.write(`tuneboard: ${message}\n`));
  const passThrough = options.passThrough ?? { stdout: process.stdout, stderr: process.stderr };
  if (options.command.length === 0)
    throw new TuneboardError('Give the command to run after --, e.g. tuneboard run --project p -- python train.py', 'BAD_USER_INPUT');
  const { client } = options;

  const project = await client.findOrCreateProject(options.project, options.team, 'INFERRED');
  const { run, warnings } = await client.submitRun({
    projectId: project.id,
    hparamsText: options.configText,
    execution: 'EXTERNAL',
    ...(options.name ? { name: options.name } : {}),
    ...(options.tags?.length ? { tags: options.tags } : {}),
    ...(options.notes ? { notes: options.notes } : {}),
    ...(options.overrideReason ? { overrideReason: options.overrideReason } : {}),
  });
  report(`run ${run.name} (${run.id}) in project ${project.name}`);
  for (const warning of warnings) report(`warning: ${warning.message}`);

  const spool = Spool.create(options.spoolRoot, {
    runId: run.id,
    runName: run.name,
    apiUrl: client.url,
    pid: process.pid,
    createdAt: new Date().toISOString(),
  });
  const configFile = join(spool.dir, 'config.json');
  writeFileSync(configFile, options.configText);

  // ── What the command produces, into the spool ──
  let seq = 0;
  let lastStep = -1;
  const tail: string[] = [];
  let badLines = 0;
  const logLine = (stream: 'STDOUT' | 'STDERR', text: string) => {
    spool.append({ t: 'log', seq: seq++, stream, text, time: Date.now() });
    tail.push(text);
    if (tail.length > ERROR_TAIL_LINES) tail.shift();
  };
  // The first step at which a metric the command prints became NaN or infinite (a diverging loss), by key.
  const nonFiniteSince = new Map<string, number>();
  const logMetrics = (metrics: MetricsLine) => {
    const step = metrics.step ?? lastStep + 1;
    lastStep = Math.max(lastStep, step);
    const time = Date.now();
    for (const [key, value] of Object.entries(metrics.values)) {
      if (Number.isFinite(value)) nonFiniteSince.delete(key);
      else if (!nonFiniteSince.has(key)) nonFiniteSince.set(key, step);
      spool.append({ t: 'metric', key, step, value: Number.isFinite(value) ? value : String(value), time } satisfies SpoolRecord);
    }
  };
  const stdoutLines = new ConsoleLines((text) => {
    logLine('STDOUT', text);
    const parsed = parseMetricsLine(text);
    if (parsed.kind === 'metrics') logMetrics(parsed.metrics);
    else if (parsed.kind === 'invalid' && ++badLines <= 10) report(`stdout line ${seq}: ${parsed.message}; kept as console output only`);
  });
  const stderrLines = new ConsoleLines((text) => logLine('STDERR', text));
  const endpoint = await startMetricsEndpoint(logMetrics);

  // ── The command ──
  const started = performance.now();
  const child = spawn(options.command[0]!, options.command.slice(1), {
    // Its own process group: a stop request reaches the whole tree (a shell script's children too), exactly once.
    detached: process.platform !== 'win32',
    // A piped stdin is passed on; a terminal is not (a background process group reading it would be stopped).
    stdio: [process.stdin.isTTY ? 'ignore' : 'inherit', 'pipe', 'pipe'],
    env: {
      ...inheritedEnvironment(),
      TUNEBOARD_RUN_ID: run.id,
      TUNEBOARD_RUN_NAME: run.name,
      TUNEBOARD_PROJECT: project.name,
      TUNEBOARD_PROJECT_ID: project.id,
      TUNEBOARD_API_URL: client.url,
      TUNEBOARD_CONFIG: options.configText,
      TUNEBOARD_CONFIG_FILE: configFile,
      TUNEBOARD_METRICS_URL: endpoint.url,
    },
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    passThrough.stdout.write(chunk);
    stdoutLines.write(chunk);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    passThrough.stderr.write(chunk);
    stderrLines.write(chunk);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, spawnError: error }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });

  // ── Stopping: Ctrl-C / SIGTERM (forwarded once; a second request kills), or a cancel from the dashboard ──
  let stopReason: string | null = null;
  // Stopped in Tuneboard by early stopping: the run is already final there (its decision recorded).
  let prunedInTuneboard = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const signalTree = (signal: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null) return;
    try {
      process.kill(process.platform === 'win32' ? child.pid : -child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  const stop = (reason: string, signal: NodeJS.Signals) => {
    if (stopReason !== null) return signalTree('SIGKILL');
    stopReason = reason;
    report(`${reason}: stopping the command (again to kill it)`);
    signalTree(signal);
    killTimer = setTimeout(() => signalTree('SIGKILL'), KILL_AFTER_MS);
    killTimer.unref();
  };
  const onAbort = () => {
    const reason = options.signal?.reason;
    const signal = typeof reason === 'string' && reason.startsWith('SIG') ? (reason as NodeJS.Signals) : 'SIGINT';
    stop(`interrupted (${signal})`, signal);
  };
  options.signal?.addEventListener('abort', onAbort);
  const onProcessSignal = (signal: NodeJS.Signals) => stop(`interrupted (${signal})`, signal);
  const handled: NodeJS.Signals[] = options.handleSignals ? ['SIGINT', 'SIGTERM', 'SIGHUP'] : [];
  for (const signal of handled) process.on(signal, onProcessSignal);

  // ── Background: system metrics, heartbeat, delivery ──
  const timers: ReturnType<typeof setInterval>[] = [];
  const systemInterval = options.systemIntervalMs ?? 10_000;
  if (systemInterval > 0 && child.pid !== undefined) {
    const sampler = new SystemSampler(child.pid);
    let systemStep = -1;
    const sampleOnce = async () => {
      const sample = await sampler.sample();
      if (Object.keys(sample).length === 0) return;
      // Stepped by whole seconds since the command started, so system charts share a time axis.
      systemStep = Math.max(systemStep + 1, Math.round((performance.now() - started) / 1000));
      const time = Date.now();
      for (const [key, value] of Object.entries(sample)) spool.append({ t: 'metric', key, step: systemStep, value, time });
    };
    void sampleOnce();
    timers.push(setInterval(() => void sampleOnce(), systemInterval));
  }
  timers.push(
    setInterval(() => {
      client.touchRun(run.id).then(
        (touched) => {
          if (touched.status === 'CANCELLED') stop('the run was cancelled in Tuneboard', 'SIGTERM');
          else if (touched.status === 'PRUNED') {
            prunedInTuneboard = true;
            stop('the run was pruned in Tuneboard (early stopping)', 'SIGTERM');
          }
        },
        () => {},
      );
    }, options.heartbeatIntervalMs ?? 30_000),
  );
  // The journal reaches the disk within a quarter second even while the API is unreachable.
  timers.push(setInterval(() => spool.persist(), 250));

  let finishing = false;
  let deadline = Number.POSITIVE_INFINITY;
  let blocked: Error | null = null;
  const delivery = (async () => {
    let backoff = 250;
    let outage = false;
    while (!blocked) {
      if (spool.pending === 0) {
        if (finishing) return;
        await sleep(200);
        continue;
      }
      if (performance.now() > deadline) return;
      try {
        await spool.sendNext(client);
        if (outage) report(`Tuneboard is reachable again; sending what was buffered`);
        outage = false;
        backoff = 250;
      } catch (error) {
        if (error instanceof TuneboardError && !error.retryable) {
          blocked = error;
          report(`Tuneboard refused the run's data (${error.message}); it stays in ${spool.dir}`);
          return;
        }
        if (!outage) report(`cannot reach Tuneboard (${(error as Error).message}); buffering to ${spool.dir} and retrying`);
        outage = true;
        await sleep(backoff);
        backoff = Math.min(10_000, backoff * 2);
      }
    }
  })();

  // ── The end ──
  const exit = await exited;
  stdoutLines.end();
  stderrLines.end();
  for (const timer of timers) clearInterval(timer);
  clearTimeout(killTimer);
  options.signal?.removeEventListener('abort', onAbort);
  for (const signal of handled) process.off(signal, onProcessSignal);
  await endpoint.close();

  let status: CommandRunResult['status'];
  let error: string | undefined;
  let divergedAtStep: number | undefined;
  let exitCode: number;
  if (exit.spawnError) {
    status = 'FAILED';
    exitCode = 127;
    error = `Could not start ${options.command[0]}: ${exit.spawnError.message}`;
    report(error);
  } else {
    exitCode = exit.code ?? 128 + (exit.signal ? (constants.signals[exit.signal] ?? 0) : 0);
    const stoppedBySignal = exit.signal === 'SIGINT' || exit.signal === 'SIGTERM' || exit.signal === 'SIGHUP' || exit.signal === 'SIGQUIT';
    if (prunedInTuneboard) {
      status = 'PRUNED';
      report(`run ${run.name} was pruned (early stopping; see why on the run in Tuneboard); what it logged is kept`);
    } else if (stopReason !== null || stoppedBySignal) {
      status = 'CANCELLED';
      error = stopReason ?? `stopped by ${exit.signal}`;
    } else if (exit.code === 0) status = 'SUCCEEDED';
    else {
      // A command that failed after its metric went NaN or infinite diverged: findings count such runs apart.
      const diverged = [...nonFiniteSince].sort((a, b) => a[1] - b[1])[0];
      status = diverged ? 'DIVERGED' : 'FAILED';
      if (diverged) divergedAtStep = diverged[1];
      const how = exit.signal ? `was killed by ${exit.signal}${exit.signal === 'SIGKILL' ? ' (out of memory?)' : ''}` : `exited with code ${exit.code}`;
      const why = diverged ? ` after ${diverged[0]} became non-finite at step ${diverged[1]}` : '';
      error = truncate(`${options.command.join(' ')} ${how}${why}${tail.length ? `; its last output:\n${tail.join('\n')}` : ''}`);
    }
  }
  // A pruned run has its final status (and decision) in Tuneboard already: only its remaining records are sent.
  if (status !== 'PRUNED')
    spool.append({ t: 'end', status, ...(error !== undefined ? { error } : {}), ...(divergedAtStep !== undefined ? { divergedAtStep } : {}) });
  finishing = true;
  deadline = performance.now() + (options.flushTimeoutMs ?? 120_000);
  await delivery;
  spool.persist();
  const undelivered = spool.pending;
  if (undelivered === 0) spool.remove();
  else
    report(
      `${undelivered.toLocaleString('en')} records of run ${run.id} could not be delivered${blocked ? '' : ' in time'}; ` +
        `they are kept in ${spool.dir}. Send them later with: tuneboard sync`,
    );
  report(`run ${run.name} ${status.toLowerCase()}${status === 'SUCCEEDED' ? '' : ` (exit code ${exitCode})`}`);
  return { runId: run.id, status, exitCode, undelivered };
}

function truncate(text: string): string {
  return text.length <= ERROR_MAX_CHARS ? text : `…${text.slice(text.length - ERROR_MAX_CHARS + 1)}`;
}
