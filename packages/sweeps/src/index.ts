export { createRng, trialSeed, type Rng } from './rng';
export {
  fitsParam,
  gridValues,
  isActive,
  orderedPaths,
  SPACE_LIMITS,
  validateSpace,
  type CategoricalParam,
  type Condition,
  type Configuration,
  type FixedParam,
  type FloatParam,
  type IntParam,
  type ParamSpec,
  type Scalar,
  type SearchSpace,
  type SpaceIssue,
} from './space';
export { gridConfigurations, shuffled, type GridResult } from './grid';
export { randomConfiguration, randomValue } from './random';
export { goodCount, tpeConfiguration, trialWeights, type TpeOptions, type Trial } from './tpe';
export { ashaDecision, ashaRungs, medianDecision, type AshaOptions, type Direction, type MedianOptions, type PruneDecision, type Report } from './pruning';
export {
  bestTrial,
  nextStep,
  SWEEP_LIMITS,
  validateSweep,
  type Budget,
  type EarlyStopping,
  type NextOptions,
  type NextStep,
  type Objective,
  type SweepDefinition,
  type SweepMethod,
  type SweepTrial,
  type TrialState,
} from './sweep';
export { branin, hartmann6, noisyBranin, type TestFunction } from './test-functions';
