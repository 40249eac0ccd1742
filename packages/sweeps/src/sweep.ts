// A sweep's definition and its next step, as pure functions: what to try next given the trials so far, or why
// nothing (the budget is spent, every parallel slot is busy, the grid is exhausted). The API's sweep service stores
// the definition and the trials and calls this; agents on several machines may ask at once, and the service's
// transaction makes each answer's trial index unique.
import { gridConfigurations, shuffled } from './grid';
import { randomConfiguration } from './random';
import { createRng, trialSeed } from './rng';
import { validateSpace, type Configuration, type SearchSpace, type SpaceIssue } from './space';
import { tpeConfiguration, type Trial } from './tpe';

export type SweepMethod = 'grid' | 'random' | 'tpe';

export interface Objective {
  /** A metric key and how a run's history becomes one number (`last`, `min`, `max`). */
  metric: string;
  aggregate: 'last' | 'min' | 'max';
  direction: 'minimize' | 'maximize';
}

export type EarlyStopping =
  | { kind: 'asha'; unit: 'step' | 'epoch'; minResource: number; reductionFactor: number; maxResource: number }
  | { kind: 'median'; unit: 'step' | 'epoch'; startupTrials: number; warmup: number };

export interface Budget {
  maxRuns: number;
  maxParallel: number;
  /** Seconds from the sweep's start after which it proposes nothing more; null for no limit. */
  maxWallTimeSeconds?: number | null;
}

export interface SweepDefinition {
  space: SearchSpace;
  objective: Objective;
  method: SweepMethod;
  earlyStopping?: EarlyStopping | null;
  budget: Budget;
  seed: number;
}

export const SWEEP_LIMITS = { maxRuns: 10_000, maxParallel: 256, maxWallTimeSeconds: 30 * 24 * 3_600 } as const;

const positiveInteger = (x: unknown, max: number) => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= max;

/** Every problem of a definition, each at its path (`space.optimizer.learningRate.low`, `budget.maxRuns`). */
export function validateSweep(definition: SweepDefinition): SpaceIssue[] {
  const issues: SpaceIssue[] = validateSpace(definition.space).map((issue) => ({ ...issue, path: issue.path ? `space.${issue.path}` : 'space' }));
  const { objective, budget, earlyStopping } = definition;
  if (!objective || typeof objective.metric !== 'string' || objective.metric.trim() === '')
    issues.push({ path: 'objective.metric', message: 'Name the metric to optimise (e.g. test.accuracy).' });
  if (!['last', 'min', 'max'].includes(objective?.aggregate)) issues.push({ path: 'objective.aggregate', message: 'The aggregate is last, min or max.' });
  if (!['minimize', 'maximize'].includes(objective?.direction)) issues.push({ path: 'objective.direction', message: 'The direction is minimize or maximize.' });
  if (!['grid', 'random', 'tpe'].includes(definition.method)) issues.push({ path: 'method', message: 'The method is grid, random or tpe.' });
  if (!positiveInteger(budget?.maxRuns, SWEEP_LIMITS.maxRuns))
    issues.push({ path: 'budget.maxRuns', message: `maxRuns is a whole number from 1 to ${SWEEP_LIMITS.maxRuns}.` });
  if (!positiveInteger(budget?.maxParallel, SWEEP_LIMITS.maxParallel))
    issues.push({ path: 'budget.maxParallel', message: `maxParallel is a whole number from 1 to ${SWEEP_LIMITS.maxParallel}.` });
  if (budget?.maxWallTimeSeconds != null && !positiveInteger(budget.maxWallTimeSeconds, SWEEP_LIMITS.maxWallTimeSeconds))
    issues.push({
      path: 'budget.maxWallTimeSeconds',
      message: `maxWallTimeSeconds is a whole number of seconds up to ${SWEEP_LIMITS.maxWallTimeSeconds} (30 days).`,
    });
  if (!Number.isSafeInteger(definition.seed)) issues.push({ path: 'seed', message: 'The seed is a whole number.' });
  if (earlyStopping) issues.push(...earlyStoppingIssues(earlyStopping));
  if (issues.length === 0 && definition.method === 'grid') {
    const grid = gridConfigurations(definition.space, budget.maxRuns);
    if (!grid.ok) issues.push(...grid.issues.map((issue) => ({ ...issue, path: issue.path ? `space.${issue.path}` : 'budget.maxRuns' })));
  }
  return issues;
}

function earlyStoppingIssues(rule: EarlyStopping): SpaceIssue[] {
  const issues: SpaceIssue[] = [];
  if (!['step', 'epoch'].includes(rule.unit)) issues.push({ path: 'earlyStopping.unit', message: 'Rungs are counted in steps or epochs.' });
  if (rule.kind === 'asha') {
    if (!positiveInteger(rule.minResource, 1e9)) issues.push({ path: 'earlyStopping.minResource', message: 'minResource is a whole number, at least 1.' });
    if (!positiveInteger(rule.reductionFactor, 100) || rule.reductionFactor < 2)
      issues.push({ path: 'earlyStopping.reductionFactor', message: 'reductionFactor is a whole number from 2 to 100 (3 is usual).' });
    if (!positiveInteger(rule.maxResource, 1e9) || rule.maxResource <= rule.minResource)
      issues.push({ path: 'earlyStopping.maxResource', message: 'maxResource is a whole number above minResource.' });
  } else if (rule.kind === 'median') {
    if (!positiveInteger(rule.startupTrials, 1_000))
      issues.push({ path: 'earlyStopping.startupTrials', message: 'startupTrials is a whole number from 1 to 1,000.' });
    if (typeof rule.warmup !== 'number' || !Number.isInteger(rule.warmup) || rule.warmup < 0)
      issues.push({ path: 'earlyStopping.warmup', message: 'warmup is a whole number of steps or epochs, 0 or more.' });
  } else {
    issues.push({ path: 'earlyStopping.kind', message: 'Early stopping is asha or median.' });
  }
  return issues;
}

export type TrialState = 'running' | 'complete' | 'pruned' | 'failed' | 'lost';

export interface SweepTrial {
  index: number;
  params: Readonly<Configuration>;
  state: TrialState;
  /** The objective's value, as measured (not negated); null until it has one. */
  objective: number | null;
}

export type NextStep =
  { kind: 'suggestion'; index: number; params: Configuration; note?: string } | { kind: 'wait'; reason: string } | { kind: 'done'; reason: string };

export interface NextOptions {
  /** Seconds since the sweep started. */
  elapsedSeconds?: number;
  /**
   * Finished runs of the project outside this sweep that match its fixed values (TPE learns from them too),
   * as trials with their objective.
   */
  history?: readonly { params: Readonly<Configuration>; objective: number | null; state: 'complete' | 'pruned' }[];
  /** Why a configuration may not be proposed (a policy finding it breaks), or undefined when it may. */
  forbidden?: (params: Readonly<Configuration>) => string | undefined;
}

/** Random and TPE draw this many times before giving up on finding a configuration no policy forbids. */
const FORBIDDEN_RETRIES = 50;

/** What to try next. Failed and lost trials count against the budget but teach TPE nothing. */
export function nextStep(definition: SweepDefinition, trials: readonly SweepTrial[], options: NextOptions = {}): NextStep {
  const { budget } = definition;
  if (trials.length >= budget.maxRuns) return { kind: 'done', reason: `the budget of ${budget.maxRuns} runs is spent` };
  if (budget.maxWallTimeSeconds != null && (options.elapsedSeconds ?? 0) >= budget.maxWallTimeSeconds)
    return { kind: 'done', reason: `the time budget of ${budget.maxWallTimeSeconds} s is spent` };
  const running = trials.filter((trial) => trial.state === 'running').length;
  if (running >= budget.maxParallel) return { kind: 'wait', reason: `${running} of ${budget.maxParallel} parallel runs are running` };
  const index = trials.length === 0 ? 0 : Math.max(...trials.map((trial) => trial.index)) + 1;
  const forbidden = options.forbidden ?? (() => undefined);

  if (definition.method === 'grid') {
    const grid = gridConfigurations(definition.space, budget.maxRuns);
    if (!grid.ok) return { kind: 'done', reason: grid.issues[0]!.message };
    const tried = new Set(trials.map((trial) => keyOf(trial.params)));
    let skipped = 0;
    for (const params of shuffled(grid.configurations, createRng(definition.seed))) {
      if (tried.has(keyOf(params))) continue;
      if (forbidden(params) !== undefined) {
        skipped++;
        continue;
      }
      return { kind: 'suggestion', index, params };
    }
    return { kind: 'done', reason: skipped > 0 ? `the grid is exhausted (${skipped} configurations a policy forbids were skipped)` : 'the grid is exhausted' };
  }

  // Each trial's draw is seeded by the sweep's seed and its index: the same sweep proposes the same configurations.
  const rng = createRng(trialSeed(definition.seed, index));
  const sign = definition.objective.direction === 'maximize' ? -1 : 1;
  const learned: Trial[] = [
    ...(options.history ?? []).map((run) => ({ params: run.params, state: run.state, loss: run.objective === null ? null : sign * run.objective })),
    ...trials.flatMap((trial): Trial[] =>
      trial.state === 'complete' && trial.objective !== null
        ? [{ params: trial.params, state: 'complete', loss: sign * trial.objective }]
        : trial.state === 'pruned'
          ? [{ params: trial.params, state: 'pruned', loss: null }]
          : [],
    ),
  ];
  let lastReason = '';
  for (let attempt = 0; attempt < FORBIDDEN_RETRIES; attempt++) {
    const params = definition.method === 'tpe' ? tpeConfiguration(definition.space, learned, rng) : randomConfiguration(definition.space, rng);
    const reason = forbidden(params);
    if (reason === undefined) return { kind: 'suggestion', index, params, ...(attempt > 0 ? { note: `${attempt} draws a policy forbids were skipped` } : {}) };
    lastReason = reason;
  }
  return { kind: 'done', reason: `${FORBIDDEN_RETRIES} draws in a row were forbidden by policy (${lastReason}): narrow the space` };
}

function keyOf(params: Readonly<Configuration>): string {
  return JSON.stringify(
    Object.keys(params)
      .sort()
      .map((key) => [key, params[key]]),
  );
}

/** The best complete trial by the objective, or undefined before any has finished. */
export function bestTrial(definition: SweepDefinition, trials: readonly SweepTrial[]): SweepTrial | undefined {
  const sign = definition.objective.direction === 'maximize' ? -1 : 1;
  let best: SweepTrial | undefined;
  for (const trial of trials)
    if (
      trial.state === 'complete' &&
      trial.objective !== null &&
      Number.isFinite(trial.objective) &&
      (!best || sign * trial.objective < sign * best.objective!)
    )
      best = trial;
  return best;
}
