// Turning a metric series (parallel arrays from the API) into chart points: the x axis the user chose,
// smoothing, and the values a chart cannot draw (NaN, ±Infinity, and ≤ 0 on a log axis).
import { metricNumber, type MetricValue } from '@/lib/metric-value';

export type XAxisKind = 'step' | 'epoch' | 'time';
export const X_AXIS_KINDS: readonly XAxisKind[] = ['step', 'epoch', 'time'];

export interface RawSeries {
  steps: readonly number[];
  values: readonly MetricValue[];
  wallTimes: readonly number[];
}

export interface XAxisSettings {
  kind: XAxisKind;
  /** For epochs: optimizer steps per epoch of this run. */
  stepsPerEpoch?: number;
  /** For wall time: when the run's first point was logged (ms since the epoch); x is seconds since then. */
  startTime?: number;
}

export interface ChartPoints {
  /** [x, y] pairs; y is null where the line has a gap. */
  data: [number, number | null][];
  /** The first non-finite value, where training blew up: drawn as a marker rather than a line. */
  firstNonFinite?: { x: number; label: 'NaN' | 'Infinity' | '-Infinity' };
}

export function xOf(settings: XAxisSettings, step: number, wallTime: number): number {
  switch (settings.kind) {
    case 'step':
      return step;
    case 'epoch':
      return settings.stepsPerEpoch ? step / settings.stepsPerEpoch : step;
    case 'time':
      return (wallTime - (settings.startTime ?? 0)) / 1000;
  }
}

/**
 * Exponential moving average with TensorBoard's debiasing, so the first points are not pulled towards 0.
 * Non-finite values pass through and do not poison the average after them.
 */
export function smoothValues(values: readonly number[], weight: number): number[] {
  if (weight <= 0) return [...values];
  let average = 0;
  let finiteCount = 0;
  return values.map((value) => {
    if (!Number.isFinite(value)) return value;
    average = average * weight + (1 - weight) * value;
    finiteCount++;
    return average / (1 - weight ** finiteCount);
  });
}

export function toChartPoints(series: RawSeries, x: XAxisSettings, options: { smoothing?: number; logY?: boolean } = {}): ChartPoints {
  const numbers = series.values.map((value) => metricNumber(value) ?? Number.NaN);
  const smoothed = smoothValues(numbers, options.smoothing ?? 0);
  const points: ChartPoints = { data: [] };
  smoothed.forEach((value, i) => {
    const xValue = xOf(x, series.steps[i] ?? 0, series.wallTimes[i] ?? 0);
    if (!Number.isFinite(value)) {
      const raw = series.values[i];
      if (!points.firstNonFinite) {
        points.firstNonFinite = { x: xValue, label: typeof raw === 'string' ? raw : 'NaN' };
      }
      points.data.push([xValue, null]);
    } else {
      points.data.push([xValue, options.logY && value <= 0 ? null : value]);
    }
  });
  return points;
}

/** Whether a hyperparameter reads better on a log axis: rates and sizes that are tried in powers. */
export function prefersLogAxis(path: string, values: readonly number[] = []): boolean {
  if (/learningRate|batchSize|weightDecay|epsilon|learning_rate/i.test(path)) return values.every((v) => v > 0);
  const positive = values.filter((v) => v > 0);
  if (positive.length !== values.length || positive.length < 2) return false;
  return Math.max(...positive) / Math.min(...positive) >= 1000;
}
