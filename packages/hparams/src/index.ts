export { BACKEND_NAMES, isBackendName, type BackendName } from './backends';
export { isMetricKey, isMetricStep, MAX_METRIC_KEY_LENGTH, MAX_METRIC_STEP, metricKeyProblem } from './metric-keys';
export { DATASETS, DATASET_NAMES, isDatasetName, type DatasetInfo, type DatasetName } from './datasets';
export {
  ACTIVATIONS,
  LIMITS,
  lrRangeTestSchema,
  runConfigSchema,
  type Activation,
  type CnnConfig,
  type ConvLayerConfig,
  type DatasetConfig,
  type LrRangeTestConfig,
  type MlpConfig,
  type ModelConfig,
  type OptimizerConfig,
  type OptimizerName,
  type PoolConfig,
  type RunConfig,
  type RunConfigInput,
  type ScheduleConfig,
  type ScheduleKind,
} from './schema';
export { validateRunConfig, type ValidationIssue, type ValidationResult } from './validate';
export { convOutputSize, deriveFacts, plannedSteps, stepsPerEpoch, totalSteps, type DerivedFacts, type LayerFact, type LayerKind } from './derived';
export {
  cosineRate,
  exponentialDecayRate,
  learningRateAt,
  learningRateCurve,
  oneCycleRate,
  rangeTestCurve,
  rangeTestLearningRate,
  stepDecayRate,
  warmupCosineRate,
  type LearningRatePoint,
} from './schedules';
export { describePath, flattenConfig, knownPaths, paramAt, suggestPath, type HparamPathInfo, type HparamPathType, type HparamValue } from './paths';
export { pathLookup, toPattern, type PathLookup } from './path-lookup';
export * from './open';
