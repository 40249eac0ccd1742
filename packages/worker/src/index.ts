export { runWorker, trainLeasedRun, type WorkerOptions } from './worker';
export { createProgressReporter, formatProgressLine, type ProgressReporter, type TrainingProgress } from './progress';
