export {
  computeEvidence,
  findingCovers,
  findConfounders,
  EVIDENCE_STATUSES,
  MIN_CONFIGURATIONS_PER_GROUP,
  type ComputedStatus,
  type Confounder,
  type Evidence,
  type EvidencePoint,
  type EvidenceRun,
  type FindingMetric,
  type FindingSpec,
  type Group,
  type GroupSummary,
} from './evidence';
export {
  bestPerGroupComparison,
  disagreement,
  edgeOfRange,
  stratifiedComparison,
  type BestPerGroupComparison,
  type EdgeOfRange,
  type Interval,
  type Observation,
  type RuleGroupBest,
  type StratifiedComparison,
} from './matched';
export {
  bestPerGroupDifference,
  bootstrapBestPerGroupDifference,
  bootstrapClusteredMeanDifference,
  bootstrapMeanDifference,
  bootstrapStratifiedDifference,
  mean,
  median,
  pooledMean,
  quantile,
  seededRandom,
  stratifiedDifference,
  type Stratum,
} from './statistics';
export { RULE_PROBLEMS, ruleProblems, type RuleProblem, type RuleProblemCode } from './rules';
export { configurationKey, experimentKey, isSeedPath } from './replicates';
export {
  computeImportance,
  IMPORTANCE_MAX_RESAMPLES,
  IMPORTANCE_MAX_RUNS,
  IMPORTANCE_MAX_TREES,
  IMPORTANCE_MIN_CONFIGURATIONS,
  IMPORTANCE_MIN_RUNS,
  type Importance,
  type ImportanceLimits,
  type ImportanceOptions,
  type ImportanceRun,
  type PathImportance,
  type PathScale,
} from './importance';
export { benjaminiHochberg } from './multiple-testing';
export { suggestFindings, SUGGESTION_DEFAULTS, type FindingSuggestions, type SuggestedFinding, type SuggestionOptions } from './suggestions';
export {
  bandGrid,
  groupBand,
  groupRuns,
  meanInterval,
  studentT975,
  varyingNonSeedPaths,
  type AlignedSeries,
  type Band,
  type BandGrid,
  type Grouping,
  type RunGroup,
} from './bands';
