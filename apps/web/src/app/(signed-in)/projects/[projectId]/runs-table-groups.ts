// The runs table grouped by configuration: the groups are formed on the server over every run matching the filter
// (Project.runGroups: packages/findings' groupRuns, and per metric column meanInterval — the statistics compare's
// bands use). Here: what the table asks for, and how a group's numbers read.
import type { MetricAggregate, RunGroupByInput, RunMetricColumnInput } from '@/graphql/generated/graphql';
import { paramsOf, type RunColumn, type RunRow } from './runs-table-columns';

/** `seeds`: everything but the seed paths; otherwise one or more hyperparameter paths (at most MAX_GROUP_PATHS). */
export type TableGroupBy = null | 'seeds' | { paths: readonly string[] };

/** As many paths as the API groups by. */
export const MAX_GROUP_PATHS = 8;

export interface ColumnStats {
  n: number;
  mean: number | null;
  std: number | null;
  low: number | null;
  high: number | null;
}

/** The grouping as the API takes it. */
export function groupByInput(groupBy: NonNullable<TableGroupBy>): RunGroupByInput {
  return groupBy === 'seeds' ? { allButSeeds: true } : { paths: [...groupBy.paths] };
}

/** The table's metric columns as the API summarises them, one entry per column in column order. */
export function metricColumnsInput(columns: readonly RunColumn[]): RunMetricColumnInput[] {
  return columns.flatMap((column) => (column.metric ? [{ key: column.metric.key, aggregate: column.metric.aggregate.toUpperCase() as MetricAggregate }] : []));
}

/** "0.912 ± 0.012" for a mean and its standard deviation; the mean alone for one run. */
export function meanText(stats: ColumnStats, format: (n: number) => string): string {
  if (stats.mean === null) return '';
  return stats.std === null ? format(stats.mean) : `${format(stats.mean)} ± ${format(stats.std)}`;
}

/** "[0.90, 0.93]" for the 95 % interval of the mean; nothing below 2 runs. */
export function intervalText(stats: ColumnStats, format: (n: number) => string): string {
  return stats.low === null || stats.high === null ? '' : `[${format(stats.low)}, ${format(stats.high)}]`;
}

/** Hyperparameter paths whose value differs among the rows: what grouping can tell apart. */
export function varyingPaths(rows: readonly RunRow[]): string[] {
  const paths = new Set(rows.flatMap((row) => Object.keys(paramsOf(row))));
  return [...paths].filter((path) => new Set(rows.map((row) => JSON.stringify(paramsOf(row)[path] ?? null))).size > 1).sort();
}

/**
 * What the Group-by menu offers: the paths that vary among the loaded rows, then every other path of the project's
 * schema — groups cover every matching run, and a path may vary only beyond the rows loaded so far. Schema patterns
 * with a list index (`model.convLayers[].kernelSize`) name no single value and are left out.
 */
export function groupablePaths(rows: readonly RunRow[], schemaPaths: readonly string[]): { varying: string[]; other: string[] } {
  const varying = varyingPaths(rows);
  const seen = new Set(varying);
  const other = [...new Set(schemaPaths)].filter((path) => !seen.has(path) && !path.includes('[]')).sort();
  return { varying, other };
}
