// A run's metric series as the run page holds them: loaded once, then extended by runEvents.
import type { MetricValue } from '@/lib/metric-value';

export interface SeriesData {
  key: string;
  steps: number[];
  values: MetricValue[];
  wallTimes: number[];
}

export type SeriesByKey = ReadonlyMap<string, SeriesData>;

export function seriesByKey(series: readonly SeriesData[]): Map<string, SeriesData> {
  return new Map(series.map((s) => [s.key, { key: s.key, steps: [...s.steps], values: [...s.values], wallTimes: [...s.wallTimes] }]));
}

/**
 * Appends points from an event. A batch can overlap what is held (a retried write, or points that arrived
 * between the page's query and its subscription): a step already held is replaced, never duplicated.
 */
export function appendPoints(current: SeriesByKey, batch: readonly SeriesData[]): Map<string, SeriesData> {
  const next = new Map(current);
  for (const incoming of batch) {
    const held = next.get(incoming.key);
    if (!held) {
      next.set(incoming.key, seriesByKey([incoming]).get(incoming.key)!);
      continue;
    }
    const lastHeld = held.steps[held.steps.length - 1] ?? -Infinity;
    const firstIncoming = incoming.steps[0] ?? Infinity;
    if (firstIncoming > lastHeld) {
      next.set(incoming.key, {
        key: incoming.key,
        steps: [...held.steps, ...incoming.steps],
        values: [...held.values, ...incoming.values],
        wallTimes: [...held.wallTimes, ...incoming.wallTimes],
      });
      continue;
    }
    const byStep = new Map<number, [MetricValue, number]>();
    held.steps.forEach((step, i) => byStep.set(step, [held.values[i]!, held.wallTimes[i] ?? 0]));
    incoming.steps.forEach((step, i) => byStep.set(step, [incoming.values[i]!, incoming.wallTimes[i] ?? 0]));
    const steps = [...byStep.keys()].sort((a, b) => a - b);
    next.set(incoming.key, {
      key: incoming.key,
      steps,
      values: steps.map((step) => byStep.get(step)![0]),
      wallTimes: steps.map((step) => byStep.get(step)![1]),
    });
  }
  return next;
}

/** The run page's charts: each groups the metrics the trainer emits; any other key gets a chart of its own. */
export const RUN_CHART_GROUPS: readonly { title: string; keys: readonly string[] }[] = [
  { title: 'Loss', keys: ['train.loss', 'train.epoch_loss', 'test.loss'] },
  { title: 'Accuracy', keys: ['train.accuracy', 'test.accuracy'] },
  { title: 'Learning rate', keys: ['train.learning_rate'] },
  { title: 'Throughput', keys: ['train.samples_per_second'] },
];

/** Range-test metrics are drawn by the range-test plot (loss against learning rate), not against steps. */
const RANGE_TEST_KEYS = new Set(['lr_range.loss', 'lr_range.learning_rate']);

export function chartGroupsFor(keys: Iterable<string>): { title: string; keys: string[] }[] {
  const present = new Set(keys);
  const grouped = new Set(RUN_CHART_GROUPS.flatMap((group) => group.keys));
  const groups = RUN_CHART_GROUPS.map((group) => ({ ...group, keys: group.keys.filter((key) => present.has(key)) })).filter((group) => group.keys.length > 0);
  const others = [...present].filter((key) => !grouped.has(key) && !RANGE_TEST_KEYS.has(key)).sort();
  return [...groups, ...others.map((key) => ({ title: key, keys: [key] }))];
}
