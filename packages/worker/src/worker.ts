import { validateRunConfig } from '@tuneboard/hparams';
import { MetricBuffer, TuneboardClient, TuneboardError, type RunLease } from '@tuneboard/sdk';
import {
  CHECKPOINT_FILES,
  CheckpointMismatchError,
  MODEL_FILES,
  selectBackend,
  trainRun,
  type CheckpointFiles,
  type ModelFiles,
  type TrainingBackend,
  type TrainingCheckpoint,
  type TrainOptions,
} from '@tuneboard/trainer';
import { hostname, totalmem } from 'node:os';
import { createProgressReporter, type ProgressReporter } from './progress';

export interface WorkerOptions {
  client: TuneboardClient;
  name?: string;
  /** The teams whose runs it trains (default: every team its user may train for when it starts). */
  teamIds?: readonly string[];
  /** Stops the worker: the run in progress is abandoned (its lease expires and another worker retries it). */
  signal?: AbortSignal;
  /** How long to wait before asking again when the queue is empty (default 1 s, backing off to 5 s). */
  pollMs?: number;
  /** Stop after this many runs (default: never); for tests and batch jobs. */
  maxRuns?: number;
  backend?: TrainingBackend;
  progress?: ProgressReporter;
}

/** Waits, or less if the signal aborts; removes its abort listener either way (a worker polls for days). */
/** The longest gap between heartbeats: how long a cancelled run may go on training. */
const HEARTBEAT_MAX_MS = 3_000;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Claims queued runs from the API and trains them, one at a time, until `signal` aborts. Any number of
 * workers on any number of machines may point at one API: the API's queue hands each run to one of them.
 */
export async function runWorker(options: WorkerOptions): Promise<{ runs: number }> {
  const { client, signal } = options;
  const progress = options.progress ?? createProgressReporter();
  const backend = options.backend ?? (await selectBackend());
  const name = options.name ?? `${hostname()}-${process.pid}`;
  const worker = await client.registerWorker(
    name,
    {
      backend: backend.name,
      device: backend.device,
      gpu: backend.name === 'tensorflow-gpu',
      memoryMb: Math.round(totalmem() / 1024 / 1024),
      hostname: hostname(),
    },
    options.teamIds,
  );
  progress.log(`worker ${name} (${backend.name} on ${backend.device}) is waiting for runs of ${worker.teamIds.length} team(s) at ${client.url}`);
  const basePoll = options.pollMs ?? 1_000;
  let idle = basePoll;
  let runs = 0;
  while (!signal?.aborted && (options.maxRuns === undefined || runs < options.maxRuns)) {
    let lease: RunLease | null;
    try {
      lease = await client.claimRun(worker.id);
    } catch (error) {
      if (error instanceof TuneboardError && error.retryable) {
        progress.log(`cannot claim runs (${error.message}); retrying`);
        await sleep(Math.min(idle * 2, 10_000), signal);
        continue;
      }
      throw error;
    }
    if (!lease) {
      await sleep(idle, signal);
      idle = Math.min(idle * 1.5, 5_000);
      continue;
    }
    idle = basePoll;
    runs++;
    await trainLeasedRun(client, lease, backend, progress, signal);
  }
  return { runs };
}

/** Trains one leased run: heart-beats while training, streams metrics, reports the outcome. */
export async function trainLeasedRun(
  client: TuneboardClient,
  lease: RunLease,
  backend: TrainingBackend,
  progress: ProgressReporter,
  workerSignal?: AbortSignal,
): Promise<void> {
  const runId = lease.run.id;
  const stop = new AbortController();
  let cancelled = false;
  // Pruned (early stopping) is a cancel with a reason: the run is final on the server, its decision recorded.
  let pruned = false;
  let leaseLost = false;
  const onWorkerStop = () => stop.abort();
  workerSignal?.addEventListener('abort', onWorkerStop, { once: true });

  // Beat at a third of the lease, so two missed beats still leave time, and at least every 3 s, so a
  // cancellation reaches the worker within seconds. The lease length comes from the server, not from its
  // expiry time against this machine's clock, which may be skewed.
  const beatMs = Math.min(HEARTBEAT_MAX_MS, Math.max(1_000, lease.leaseSeconds * 1000) / 3);
  const beat = setInterval(() => {
    client
      .heartbeatRun(runId, lease.leaseToken)
      .then((answer) => {
        if (answer.cancelled) {
          cancelled = true;
          pruned = answer.pruned === true;
          stop.abort();
        }
      })
      .catch((error: unknown) => {
        if (error instanceof TuneboardError && error.code === 'CONFLICT') ((leaseLost = true), stop.abort());
      });
  }, beatMs);

  let metricError: Error | null = null;
  const metrics = new MetricBuffer((series) => client.logMetrics(runId, series, { leaseToken: lease.leaseToken }), {
    onError: (error) => {
      metricError = error;
      progress.log(`run ${lease.run.name}: some metrics were not stored: ${error.message}`);
    },
  });
  progress.start(`${lease.run.name} (attempt ${lease.attempt})`);
  let trained: Outcome | null = null;
  try {
    const checked = validateRunConfig(lease.run.hparams);
    if (!checked.ok) throw new Error(`The stored configuration is invalid: ${checked.issues.map((i) => i.message).join('; ')}`);
    const resumeFrom = await fetchCheckpoint(client, lease, progress);
    const artifacts = new RunArtifacts(client, lease, progress);
    const training: TrainOptions = {
      backend,
      signal: stop.signal,
      onMetrics: (points) => {
        for (const p of points) metrics.add(p.key, p.step, p.value, p.wallTime);
      },
      onProgress: (p) => progress.update(p),
      // Metrics up to the checkpoint are flushed before it is recorded: a resumed attempt keeps the history up to its step.
      onCheckpoint: async (checkpoint) => artifacts.saveCheckpoint(checkpoint, () => metrics.flush()),
      onModel: async (files) => artifacts.saveModel(files),
    };
    const result = await trainRun(checked.config, { ...training, resumeFrom }).catch(async (error: unknown) => {
      // A checkpoint that does not fit (an edited configuration, a damaged file) is not worth failing the run for.
      if (!(error instanceof CheckpointMismatchError) || !resumeFrom) throw error;
      progress.log(`run ${lease.run.name}: cannot resume from the checkpoint (${error.message}); starting afresh`);
      return trainRun(checked.config, training);
    });
    if (cancelled || leaseLost || workerSignal?.aborted || result.status === 'cancelled') {
      if (workerSignal?.aborted && !cancelled && !leaseLost) {
        // Stopping on purpose: hand the run back at once (it restarts elsewhere, the attempt not counted).
        await client.releaseRun(runId, lease.leaseToken).catch(() => {});
        progress.done('stopped; the run went back to the queue');
        return;
      }
      // A lost lease means another worker has the run: nothing more of ours belongs in it.
      if (!leaseLost) await metrics.flush();
      progress.done(cancelled ? (pruned ? 'pruned (early stopping); its history so far is kept' : 'cancelled') : 'lease lost; another worker has the run');
      return;
    }
    await metrics.flush();
    // A run whose history has holes is not a success, whatever the training loop said.
    trained =
      metrics.dropped > 0
        ? {
            outcome: 'FAILED' as const,
            error: `${metrics.dropped} metric points could not be stored: ${(metricError as Error | null)?.message ?? 'unknown error'}`,
          }
        : {
            outcome: result.status === 'diverged' ? ('DIVERGED' as const) : ('SUCCEEDED' as const),
            ...(result.divergedAtStep !== undefined ? { divergedAtStep: result.divergedAtStep } : {}),
            ...(result.divergedLearningRate !== undefined ? { divergedLearningRate: result.divergedLearningRate } : {}),
            results: result.results,
          };
  } catch (error) {
    if (!leaseLost) await metrics.flush();
    const message = error instanceof Error ? error.message : String(error);
    if (!cancelled && !leaseLost && !workerSignal?.aborted) trained = { outcome: 'FAILED', error: message };
    else progress.done(pruned ? 'pruned (early stopping); its history so far is kept' : `stopped: ${message}`);
  } finally {
    clearInterval(beat);
    workerSignal?.removeEventListener('abort', onWorkerStop);
  }
  if (!trained) return;
  // Reported apart from training, and retried: a network blip here must not turn a trained run into FAILED.
  const report = trained;
  for (let attempt = 1; ; attempt++) {
    try {
      await client.finishRun({ runId, leaseToken: lease.leaseToken, ...report });
      progress.done(
        report.outcome === 'SUCCEEDED' ? 'succeeded' : report.outcome === 'DIVERGED' ? `diverged at step ${report.divergedAtStep}` : `failed: ${report.error}`,
      );
      return;
    } catch (error) {
      if (!(error instanceof TuneboardError && error.retryable) || attempt >= 8) {
        progress.done(`could not report the outcome (${report.outcome}): ${(error as Error).message}`);
        return;
      }
      await sleep(Math.min(10_000, 250 * 2 ** attempt), workerSignal);
    }
  }
}

/**
 * The checkpoint the lease says an earlier attempt left, downloaded; undefined (start afresh) when there is none or
 * it cannot be read.
 */
async function fetchCheckpoint(client: TuneboardClient, lease: RunLease, progress: ProgressReporter): Promise<CheckpointFiles | undefined> {
  const checkpoint = lease.run.checkpoint;
  if (!checkpoint) return undefined;
  try {
    const files = await Promise.all(
      CHECKPOINT_FILES.map(async (name) => [name, await client.downloadArtifact(lease.run.id, `${checkpoint.path}/${name}`)] as const),
    );
    progress.log(`run ${lease.run.name}: resuming from the checkpoint after epoch ${checkpoint.epoch} (step ${checkpoint.step})`);
    return Object.fromEntries(files) as CheckpointFiles;
  } catch (error) {
    progress.log(`run ${lease.run.name}: cannot read the checkpoint at ${checkpoint.path} (${(error as Error).message}); starting afresh`);
    return undefined;
  }
}

/**
 * Stores a run's checkpoints and trained model as its artifacts. A checkpoint goes under its attempt's own
 * directory (a lost worker that wakes up cannot overwrite the files a later attempt recorded), state.json last,
 * and is then recorded on the run. A failure is logged, not fatal: the run trains on, only less resumable.
 */
class RunArtifacts {
  constructor(
    private readonly client: TuneboardClient,
    private readonly lease: RunLease,
    private readonly progress: ProgressReporter,
  ) {}

  async saveCheckpoint(checkpoint: TrainingCheckpoint, flushMetrics: () => Promise<void>): Promise<void> {
    const path = `checkpoints/attempt-${this.lease.attempt}/epoch-${checkpoint.epoch}`;
    try {
      for (const name of CHECKPOINT_FILES) await this.client.uploadArtifact(this.lease.run.id, `${path}/${name}`, checkpoint.files[name]);
      await flushMetrics();
      await this.client.recordCheckpoint({ runId: this.lease.run.id, leaseToken: this.lease.leaseToken, epoch: checkpoint.epoch, step: checkpoint.step, path });
    } catch (error) {
      this.progress.log(`run ${this.lease.run.name}: the checkpoint after epoch ${checkpoint.epoch} was not stored: ${(error as Error).message}`);
    }
  }

  async saveModel(files: ModelFiles): Promise<void> {
    try {
      for (const name of MODEL_FILES) await this.client.uploadArtifact(this.lease.run.id, `model/${name}`, files[name]);
    } catch (error) {
      this.progress.log(`run ${this.lease.run.name}: the trained model was not stored: ${(error as Error).message}`);
    }
  }
}

/** What finishRun reports, without the run and lease it is about. */
type Outcome = Omit<Parameters<TuneboardClient['finishRun']>[0], 'runId' | 'leaseToken'>;
