export {
  BACKEND_NAMES,
  BackendUnavailableError,
  activateBackend,
  parseBackendName,
  selectBackend,
  type BackendName,
  type SelectBackendOptions,
  type Tf,
  type TrainingBackend,
} from './backends';
export { CHECKPOINT_FILES, CheckpointMismatchError, MODEL_FILES, type CheckpointFiles, type ModelFiles, type TrainingCheckpoint } from './checkpoint';
export { loadDataset, type DataSplit, type Dataset } from './datasets';
export { METRIC_KEYS, type MetricKey, type MetricPoint } from './metrics';
export { buildModel, type RunModel } from './models';
export {
  DIVERGENCE_FACTOR,
  PROGRESS_SHARE,
  SMOOTHING,
  SUGGESTION_DIVISOR,
  rangeTestLearningRate,
  smoothLosses,
  suggestLearningRate,
  type RangeTestResult,
} from './range-test';
export { DIVERGED_LOSS_FACTOR, isDivergedLoss } from './session';
export { trainRun, type TrainOptions, type TrainProgress, type TrainResult, type TrainStatus } from './train';
export { registerWasmTrainingKernels } from './wasm-kernels';
