export * from './client';
export * from './data-dir-lock';
// What callers of metricStore catch and name; its functions are reached through the namespace.
export {
  MetricBatchError,
  MetricReadTooLargeError,
  RunHeldError,
  RunNotFinishableError,
  type AppendedRange,
  type MetricColumns,
  type RunWriter,
  type SeriesColumns,
  type SeriesPoints,
} from './stores/metrics/index';
export * from './run-filter';
export * as schema from './schema/index';
export * from './schema/index';
export * from './stores/index';
