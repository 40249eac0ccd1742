/**
 * The metric store: each run's metric history (points in chunks, see schema/metrics.ts) and the per-series
 * summaries kept beside it. Split along its jobs:
 * - batch.ts: checking a batch and putting it in step order (no database);
 * - chunks.ts: the chunk layout and the coarser copies the writer precomputes for downsampling;
 * - ingest.ts: appending a batch idempotently, under the run's lease; cutting a history back to a step;
 * - finish.ts: the metric histories and final statuses of many script-reported runs at once (an import);
 * - read.ts: reading series back, whole, sliced to a step range or downsampled;
 * - summaries.ts: the summary rows (latest/min/max per key) and how the writer keeps them current.
 */
export { isFiniteValue, MetricBatchError, prepareBatch, type MetricColumns } from './batch';
export { CHUNK_SIZE, COARSE_BLOCK, FINE_BLOCK } from './chunks';
export {
  appendMetrics,
  appendToWritableRun,
  isWriterRace,
  rewindMetrics,
  RunHeldError,
  type AppendedRange,
  type AppendedRun,
  type AppendNotification,
  type RunWriter,
} from './ingest';
export { finishExternalRuns, RunNotFinishableError, type FinishedRun, type RunToFinish } from './finish';
export { MetricReadTooLargeError, readMetricColumns, readMetricSeries, type SeriesColumns, type SeriesPoints } from './read';
export { deleteMetricsOfRun, summariesOfRuns } from './summaries';
