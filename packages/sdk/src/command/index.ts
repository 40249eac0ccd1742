// `tuneboard run` and `tuneboard sync`: Node-only (processes, files, a local HTTP endpoint), so a subpath export
// of the SDK rather than part of its browser-safe main entry.
export { buildCommandConfig } from './config';
export { parseMetricsLine, type MetricsLine, type MetricsLineResult } from './metrics-line';
export { runCommand, type CommandRunOptions, type CommandRunResult } from './run-command';
export { spoolRoot } from '../env';
export { syncSpools } from './sync';
