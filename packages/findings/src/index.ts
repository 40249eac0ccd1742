export {
  computeEvidence,
  findingCovers,
  findConfounders,
  EVIDENCE_STATUSES,
  MIN_RUNS_PER_GROUP,
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
export { bootstrapMeanDifference, mean, median, quantile, seededRandom } from './statistics';
export { RULE_PROBLEMS, ruleProblems, type RuleProblem, type RuleProblemCode } from './rules';
export { configurationKey, experimentKey, isSeedPath } from './replicates';
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
