// The learning-rate range test plot: loss against learning rate (log axis), with the suggested rate and
// where the loss diverged. From run.results.lrRangeTest, or from the lr_range.* metrics while it runs.
import type { EChartsOption } from 'echarts';
import { buildLineChartOption } from '@/charts/chart-options';
import { metricNumber } from '@/lib/metric-value';
import type { SeriesByKey } from './live-series';

export interface LrRangeTestResult {
  learningRates: number[];
  losses: number[];
  suggestedLearningRate: number | null;
  divergedAtLearningRate: number | null;
}

export function lrRangeTestOf(results: unknown, series: SeriesByKey): LrRangeTestResult | undefined {
  const stored = (results as { lrRangeTest?: Partial<LrRangeTestResult> } | null)?.lrRangeTest;
  if (stored && Array.isArray(stored.learningRates) && Array.isArray(stored.losses)) {
    return {
      learningRates: stored.learningRates.map(Number),
      losses: stored.losses.map((loss) => metricNumber(loss as never) ?? Number.NaN),
      suggestedLearningRate: stored.suggestedLearningRate ?? null,
      divergedAtLearningRate: stored.divergedAtLearningRate ?? null,
    };
  }
  const losses = series.get('lr_range.loss');
  const rates = series.get('lr_range.learning_rate');
  if (!losses || !rates) return undefined;
  const rateAtStep = new Map(rates.steps.map((step, i) => [step, metricNumber(rates.values[i]) ?? Number.NaN]));
  const learningRates: number[] = [];
  const lossValues: number[] = [];
  losses.steps.forEach((step, i) => {
    const rate = rateAtStep.get(step);
    if (rate === undefined) return;
    learningRates.push(rate);
    lossValues.push(metricNumber(losses.values[i]) ?? Number.NaN);
  });
  return { learningRates, losses: lossValues, suggestedLearningRate: null, divergedAtLearningRate: null };
}

export function rangeTestChartOption(test: LrRangeTestResult): EChartsOption {
  const data = test.learningRates.map((rate, i): [number, number | null] => {
    const loss = test.losses[i] ?? Number.NaN;
    return [rate, Number.isFinite(loss) ? loss : null];
  });
  const markers = [
    ...(test.suggestedLearningRate !== null ? [{ x: test.suggestedLearningRate, label: 'suggested' }] : []),
    ...(test.divergedAtLearningRate !== null ? [{ x: test.divergedAtLearningRate, label: 'diverged' }] : []),
  ];
  return buildLineChartOption({
    title: 'Learning-rate range test',
    xName: 'learning rate',
    logX: true,
    series: [{ name: 'loss', points: { data } }],
    markers,
  });
}
