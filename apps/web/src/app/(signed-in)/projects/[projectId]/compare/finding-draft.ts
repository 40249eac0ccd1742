// "Record a finding" starts from what the compare view shows: its metric, a rule on the scatter's
// hyperparameter split where the compared runs differ most, the scope they share, and the runs as citations.
import { formatField, formatLiteral } from '@tuneboard/filter';
import { likelyDirection, type FindingDraft } from '../../../findings/finding-form-state';
import { scatterPoints, type ComparedRun } from './compare-model';
import type { CompareState } from './compare-state';

/** Hyperparameters that usually define what a finding is about. */
const SCOPE_PATHS = ['dataset.name', 'model.kind'];

/**
 * A threshold rule on `path`: of every split of the runs' values into ≤ t and > t, the one whose sides'
 * mean metric differ most, written so the better side satisfies it (`batchSize <= 32`, `epochs >= 5`).
 */
export function suggestRule(points: readonly { x: number; y: number }[], paramPath: string, direction: 'HIGHER' | 'LOWER'): string {
  // Written as the filter language spells it, so a key such as `status` or `a.b` reads back as the same path.
  const path = formatField({ kind: 'param', path: paramPath });
  const xs = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
  if (xs.length === 0) return '';
  if (xs.length === 1) return `${path} <= ${formatLiteral(xs[0]!)}`;
  const sign = direction === 'HIGHER' ? 1 : -1;
  const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
  let best = { gain: -Infinity, rule: '' };
  for (let i = 0; i < xs.length - 1; i++) {
    const low = mean(points.filter((p) => p.x <= xs[i]!).map((p) => p.y));
    const high = mean(points.filter((p) => p.x > xs[i]!).map((p) => p.y));
    const lowBetter = sign * (low - high);
    if (Math.abs(lowBetter) > best.gain) {
      best = { gain: Math.abs(lowBetter), rule: lowBetter >= 0 ? `${path} <= ${formatLiteral(xs[i]!)}` : `${path} >= ${formatLiteral(xs[i + 1]!)}` };
    }
  }
  return best.rule;
}

/** `dataset.name = "mnist" and model.kind = "cnn"` when every compared run shares them. */
export function sharedScope(runs: readonly ComparedRun[]): string {
  return SCOPE_PATHS.flatMap((path) => {
    const values = new Set(runs.map((run) => run.params[path]));
    const [value] = values;
    return values.size === 1 && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      ? [`${path} = ${formatLiteral(value)}`]
      : [];
  }).join(' and ');
}

export function findingDraftFromCompare(runs: readonly ComparedRun[], state: CompareState): FindingDraft {
  const direction = likelyDirection(state.targetMetric.key);
  return {
    title: '',
    statement: `Seen comparing ${runs.length} run${runs.length === 1 ? '' : 's'} on ${state.targetMetric.aggregate}(${state.targetMetric.key}).`,
    rule: suggestRule(scatterPoints(runs, state.scatterParam, state.targetMetric), state.scatterParam, direction),
    scope: sharedScope(runs),
    metricKey: state.targetMetric.key,
    aggregate: state.targetMetric.aggregate.toUpperCase() as FindingDraft['aggregate'],
    direction,
    severity: 'ADVICE',
    sharedWithTeam: false,
    citedRunIds: runs.map((run) => run.id),
  };
}
