import { validateRunConfig } from '@tuneboard/hparams';
import { TuneboardClient, type ClientOptions } from './client';
import { TuneboardError } from './errors';
import { Heartbeat } from './heartbeat';
import { MetricBuffer, type MetricBufferOptions } from './metric-buffer';
import type { FinalStatus } from './run-status';

export interface InitOptions extends ClientOptions {
  /** A project name (created in the team if missing) or id. */
  project: string;
  /** Team name or id; default the first of the token's teams. */
  team?: string;
  name?: string;
  /** A built-in run's configuration (packages/hparams RunConfig), validated here before anything is sent. Give it or `config`. */
  hparams?: unknown;
  /**
   * Any JSON config, for a project with a declared or inferred schema (the API validates it against the declared
   * version). Sent as JSON text. A project created here for it gets an inferred schema.
   */
  config?: Record<string, unknown>;
  tags?: string[];
  notes?: string;
  /** Why this run may break a policy finding of the team (without it, such a run is refused). */
  overrideReason?: string;
  client?: TuneboardClient;
  buffer?: MetricBufferOptions;
  /**
   * How often the run tells the API the script is alive, in ms (default 30 000; 0: never, then only metric batches
   * do). A run unheard from past the server's timeout (default 5 min) is marked LOST until it reports again.
   */
  heartbeatIntervalMs?: number;
}

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;

/** A run your own script trains and reports — created RUNNING (EXTERNAL), so no worker claims it. */
export class Run {
  private readonly buffer: MetricBuffer;
  private readonly heartbeat: Heartbeat;
  private lastStep = -1;
  private finished = false;
  private stoppedAs: 'CANCELLED' | 'PRUNED' | null = null;

  constructor(
    readonly client: TuneboardClient,
    readonly id: string,
    readonly name: string,
    /** What the API said about the configuration (e.g. findings it contradicts). */
    readonly warnings: readonly { code: string; message: string }[],
    bufferOptions: MetricBufferOptions = {},
    heartbeatIntervalMs = DEFAULT_HEARTBEAT_INTERVAL_MS,
  ) {
    this.buffer = new MetricBuffer((series) => client.logMetrics(id, series), bufferOptions);
    this.heartbeat = new Heartbeat(async () => {
      const { status } = await client.touchRun(id);
      if (status === 'CANCELLED' || status === 'PRUNED') this.stoppedAs = status;
    }, heartbeatIntervalMs);
  }

  /**
   * CANCELLED or PRUNED once a heartbeat heard the run was stopped in Tuneboard (a user, or a sweep's early
   * stopping); null otherwise. A training loop should check it and end: what it logged so far is kept.
   */
  get stopped(): 'CANCELLED' | 'PRUNED' | null {
    return this.stoppedAs;
  }

  /** Whether the background heartbeat is on (from init until finish). */
  get heartbeating(): boolean {
    return this.heartbeat.running;
  }

  /**
   * Records metrics at a step (default: one after the last). Returns at once; points are sent in the
   * background in batches.
   */
  log(metrics: Record<string, number>, step?: number): void {
    if (this.finished) throw new TuneboardError(`Run ${this.name} is finished; it takes no more metrics`, 'FINISHED');
    const at = step ?? this.lastStep + 1;
    if (!Number.isInteger(at) || at < 0) throw new TuneboardError(`step must be a whole number ≥ 0, got ${at}`, 'BAD_USER_INPUT');
    this.lastStep = Math.max(this.lastStep, at);
    const now = Date.now();
    for (const [key, value] of Object.entries(metrics)) this.buffer.add(key, at, value, now);
  }

  /** Waits until every logged point is stored. */
  flush(): Promise<void> {
    return this.buffer.flush();
  }

  /** Points given up on (API unreachable for too long, or refused). */
  get droppedPoints(): number {
    return this.buffer.dropped;
  }

  /** Flushes and marks the run finished. */
  async finish(status: FinalStatus = 'SUCCEEDED', details: { error?: string; divergedAtStep?: number; divergedLearningRate?: number } = {}): Promise<void> {
    if (this.finished) return;
    await this.buffer.flush();
    this.finished = true;
    this.heartbeat.stop();
    try {
      await this.client.setRunStatus(this.id, status, details);
    } catch (error) {
      // Stopped in Tuneboard meanwhile: the run keeps that status (and a pruned run its decision).
      if (!(error instanceof TuneboardError && error.code === 'CONFLICT' && this.stoppedAs !== null)) throw error;
    }
  }
}

/** Like wandb.init: validates the configuration, finds or creates the project, creates a running run. */
export async function init(options: InitOptions): Promise<Run> {
  if ((options.hparams === undefined) === (options.config === undefined))
    throw new TuneboardError('Give init either hparams (a built-in RunConfig) or config (any JSON config), not both', 'BAD_USER_INPUT');
  let hparams: { hparams: unknown } | { hparamsText: string };
  if (options.config !== undefined) {
    // JSON text: a Python-style 2.0 written as 2.0 in a config file stays a float only in text; JS has no 2.0, so
    // here every whole number is an integer and every other number a float.
    const text = JSON.stringify(options.config);
    if (typeof text !== 'string' || typeof options.config !== 'object' || options.config === null || Array.isArray(options.config))
      throw new TuneboardError('config must be a JSON object such as { lr: 0.001 }', 'BAD_USER_INPUT');
    hparams = { hparamsText: text };
  } else {
    const checked = validateRunConfig(options.hparams);
    if (!checked.ok) throw new TuneboardError(`Invalid hyperparameters: ${checked.issues.map((i) => i.message).join('; ')}`, 'BAD_USER_INPUT', checked.issues);
    hparams = { hparams: checked.config };
  }
  const client = options.client ?? new TuneboardClient(options);
  const project = await client.findOrCreateProject(options.project, options.team, options.config !== undefined ? 'INFERRED' : undefined);
  const { run, warnings } = await client.submitRun({
    projectId: project.id,
    ...hparams,
    execution: 'EXTERNAL',
    ...(options.name ? { name: options.name } : {}),
    ...(options.tags ? { tags: options.tags } : {}),
    ...(options.notes ? { notes: options.notes } : {}),
    ...(options.overrideReason ? { overrideReason: options.overrideReason } : {}),
  });
  return new Run(client, run.id, run.name, warnings, options.buffer, options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS);
}
