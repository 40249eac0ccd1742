// Learning rate as a pure function of the step, shared by the trainer (which
// applies it) and the dashboard (which previews it). Steps are clamped to
// [0, totalSteps]: past the end every schedule holds its final value.
import type { LrRangeTestConfig, RunConfig, ScheduleConfig } from './schema';

type ScheduleParams<K extends ScheduleConfig['kind']> = Omit<Extract<ScheduleConfig, { kind: K }>, 'kind'>;

export interface LearningRatePoint {
  step: number;
  learningRate: number;
}

/** lr · gamma^floor(step / stepSize) */
export function stepDecayRate(learningRate: number, params: ScheduleParams<'step'>, step: number): number {
  return learningRate * params.gamma ** Math.floor(Math.max(0, step) / params.stepSize);
}

/** lr · gamma^step */
export function exponentialDecayRate(learningRate: number, params: ScheduleParams<'exponential'>, step: number): number {
  return learningRate * params.gamma ** Math.max(0, step);
}

/** Half a cosine from lr at step 0 down to minLearningRate at totalSteps. */
export function cosineRate(learningRate: number, params: ScheduleParams<'cosine'>, step: number, totalSteps: number): number {
  return cosineAnneal(learningRate, params.minLearningRate, fraction(step, totalSteps));
}

/** Linear from 0 to lr over warmupSteps, then a cosine down to minLearningRate at totalSteps. */
export function warmupCosineRate(learningRate: number, params: ScheduleParams<'warmupCosine'>, step: number, totalSteps: number): number {
  const t = clamp(step, 0, totalSteps);
  if (t < params.warmupSteps) return (learningRate * t) / params.warmupSteps;
  return cosineAnneal(learningRate, params.minLearningRate, fraction(t - params.warmupSteps, totalSteps - params.warmupSteps));
}

/**
 * PyTorch's OneCycleLR (two phases, cosine annealing): from lr/divFactor up to
 * lr, then down to lr/(divFactor·finalDivFactor). Unlike PyTorch, whose phases
 * end at steps pctStart·T − 1 and T − 1, the peak is at pctStart·T and the
 * final value at T, like the other schedules here; the curves differ by one step.
 */
export function oneCycleRate(learningRate: number, params: ScheduleParams<'oneCycle'>, step: number, totalSteps: number): number {
  const initial = learningRate / params.divFactor;
  const final = initial / params.finalDivFactor;
  const t = clamp(step, 0, totalSteps);
  const peakStep = params.pctStart * totalSteps;
  if (t <= peakStep) return cosineAnneal(initial, learningRate, fraction(t, peakStep));
  return cosineAnneal(learningRate, final, fraction(t - peakStep, totalSteps - peakStep));
}

export function learningRateAt(config: Pick<RunConfig, 'optimizer' | 'schedule'>, step: number, totalSteps: number): number {
  const lr = config.optimizer.learningRate;
  const schedule = config.schedule;
  const t = clamp(step, 0, totalSteps);
  switch (schedule.kind) {
    case 'constant':
      return lr;
    case 'step':
      return stepDecayRate(lr, schedule, t);
    case 'exponential':
      return exponentialDecayRate(lr, schedule, t);
    case 'cosine':
      return cosineRate(lr, schedule, t, totalSteps);
    case 'warmupCosine':
      return warmupCosineRate(lr, schedule, t, totalSteps);
    case 'oneCycle':
      return oneCycleRate(lr, schedule, t, totalSteps);
  }
}

/** Learning rate of step k (0-based) of a range test of `steps`: start · (end / start)^(k / (steps − 1)). */
export function rangeTestLearningRate(test: LrRangeTestConfig, step: number): number {
  return test.startLearningRate * (test.endLearningRate / test.startLearningRate) ** (step / Math.max(1, test.steps - 1));
}

/** A range test's learning rates at evenly spaced whole steps (both ends included), for previews. */
export function rangeTestCurve(test: LrRangeTestConfig, points = 200): LearningRatePoint[] {
  const count = Math.min(test.steps, points);
  return Array.from({ length: count }, (_, i) => {
    const step = Math.round((i * (test.steps - 1)) / Math.max(1, count - 1));
    return { step, learningRate: rangeTestLearningRate(test, step) };
  });
}

/** Evenly spaced whole steps from 0 to totalSteps (both included), for previews. */
export function learningRateCurve(config: Pick<RunConfig, 'optimizer' | 'schedule'>, totalSteps: number, points = 200): LearningRatePoint[] {
  const last = Math.max(0, Math.floor(totalSteps));
  const count = Math.max(2, Math.floor(points));
  const steps = new Set<number>();
  for (let i = 0; i < count; i++) steps.add(Math.round((i * last) / (count - 1)));
  return [...steps].map((step) => ({ step, learningRate: learningRateAt(config, step, totalSteps) }));
}

/** from at progress 0, to at progress 1, following half a cosine. */
function cosineAnneal(from: number, to: number, progress: number): number {
  return to + ((from - to) * (1 + Math.cos(Math.PI * progress))) / 2;
}

/** How far step is through a phase of the given length, in [0, 1]; an empty phase is complete. */
function fraction(step: number, length: number): number {
  return length <= 0 ? 1 : clamp(step / length, 0, 1);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}
