export { packSeries, TuneboardClient, type ClientOptions, type MetricColumnsInput, type RunLease } from './client';
export { TuneboardError } from './errors';
export { MetricBuffer, type MetricBufferOptions } from './metric-buffer';
export { DEFAULT_HEARTBEAT_INTERVAL_MS, init, Run, type InitOptions } from './run';
export type { FinalStatus, RunOutcome, RunStatus } from './run-status';
export { tuneboardCallback, type FitCallback } from './tfjs-callback';
