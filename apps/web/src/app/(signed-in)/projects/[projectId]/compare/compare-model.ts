// What the compare charts are built from: per run, its hyperparameters and metric summaries.
import type { ParallelDimension, ScatterPoint } from '@/charts/chart-options';
import { prefersLogAxis } from '@/charts/series-points';
import { metricNumber, type MetricValue } from '@/lib/metric-value';
import { isSeedPath } from '@tuneboard/findings';
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

/**
 * The scatter's default x: the numeric hyperparameter with the most distinct values among the runs (seeds only when
 * nothing else varies), so it is never one that every run shares. Ties go to `preferred`, then alphabetically.
 */
export function mostVaryingNumericPath(runs: readonly ComparedRun[], preferred?: string): string | undefined {
  const numeric = (path: string) => runs.some((run) => typeof run.params[path] === 'number');
  const varying = varyingParams(runs).filter(numeric);
  const candidates = varying.some((path) => !isSeedPath(path)) ? varying.filter((path) => !isSeedPath(path)) : varying;
  const distinct = (path: string) => new Set(runs.map((run) => JSON.stringify(run.params[path] ?? null))).size;
  return [...candidates].sort((a, b) => distinct(b) - distinct(a) || Number(b === preferred) - Number(a === preferred) || a.localeCompare(b))[0];
}

/** Whether the runs train different numbers of steps per epoch (a batch-size sweep): then steps do not line up, epochs do. */
export function stepsPerEpochDiffer(stepsPerEpoch: ReadonlyMap<string, number>, runIds: readonly string[]): boolean {
  return new Set(runIds.flatMap((id) => (stepsPerEpoch.has(id) ? [stepsPerEpoch.get(id)] : []))).size > 1;
}
