// What the compare charts are built from: per run, its hyperparameters and metric summaries.
import type { ParallelDimension, ScatterPoint } from '@/charts/chart-options';
import { prefersLogAxis } from '@/charts/series-points';
import { metricNumber, type MetricValue } from '@/lib/metric-value';
import type { MetricAggregate } from './compare-state';

export interface ComparedRun {
  id: string;
  name: string;
  status: string;
  tags: readonly string[];
  params: Record<string, unknown>;
  metrics: readonly { key: string; last: MetricValue | null; min: number | null; max: number | null }[];
}

export function metricSummaryValue(run: ComparedRun, key: string, aggregate: MetricAggregate): number | null {
  const summary = run.metrics.find((m) => m.key === key);
  if (!summary) return null;
  const value = aggregate === 'last' ? metricNumber(summary.last) : summary[aggregate];
  return value !== null && Number.isFinite(value) ? value : null;
}

/** Hyperparameter paths whose value differs between the runs: the axes worth drawing. */
export function varyingParams(runs: readonly ComparedRun[]): string[] {
  const paths = new Set(runs.flatMap((run) => Object.keys(run.params)));
  return [...paths].filter((path) => new Set(runs.map((run) => JSON.stringify(run.params[path] ?? null))).size > 1).sort();
}

export function parallelInput(
  runs: readonly ComparedRun[],
  paths: readonly string[],
  target: { key: string; aggregate: MetricAggregate },
): { dimensions: ParallelDimension[]; rows: { runName: string; values: (number | string | null)[] }[] } {
  const dimensions: ParallelDimension[] = paths.map((path) => {
    const values = runs.map((run) => run.params[path]).filter((v) => v !== undefined && v !== null);
    if (values.every((v) => typeof v === 'number')) {
      return { name: path, kind: 'number', log: prefersLogAxis(path, values as number[]) };
    }
    return { name: path, kind: 'category', categories: [...new Set(values.map(String))].sort() };
  });
  dimensions.push({ name: `${target.aggregate}(${target.key})`, kind: 'number' });
  const rows = runs.map((run) => ({
    runName: run.name,
    values: [
      ...paths.map((path, i) => {
        const value = run.params[path];
        if (value === undefined || value === null) return null;
        return dimensions[i]!.kind === 'number' ? (value as number) : String(value);
      }),
      metricSummaryValue(run, target.key, target.aggregate),
    ],
  }));
  return { dimensions, rows };
}

export function scatterPoints(runs: readonly ComparedRun[], path: string, target: { key: string; aggregate: MetricAggregate }): ScatterPoint[] {
  return runs.flatMap((run) => {
    const x = run.params[path];
    const y = metricSummaryValue(run, target.key, target.aggregate);
    return typeof x === 'number' && y !== null ? [{ runName: run.name, x, y }] : [];
  });
}
