// The runs table grouped by configuration: per group its runs, and per metric column the mean ± standard deviation
// and the Student-t 95 % interval of the mean over the group's runs (packages/findings' bands.ts, the same
// statistics the compare view's bands use). Groups are formed from the loaded rows only.
import { groupRuns, meanInterval } from '@tuneboard/findings';
import { paramsOf, type RunColumn, type RunRow } from './runs-table-columns';

/** `seeds`: everything but the seed paths; otherwise one hyperparameter path. */
export type TableGroupBy = null | 'seeds' | { path: string };

export interface ColumnStats {
  n: number;
  mean: number | null;
  std: number | null;
  low: number | null;
  high: number | null;
}

export interface TableGroup {
  key: string;
  label: string;
  rows: RunRow[];
  /** By column id, for the numeric metric columns. */
  stats: Record<string, ColumnStats>;
}

export function groupRows(rows: readonly RunRow[], groupBy: NonNullable<TableGroupBy>, columns: readonly RunColumn[]): TableGroup[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const groups = groupRuns(
    rows.map((row) => ({ id: row.id, params: paramsOf(row) })),
    groupBy === 'seeds' ? { allButSeeds: true } : { paths: [groupBy.path] },
  );
  const metricColumns = columns.filter((column) => column.group === 'metric');
  return groups.map((group) => {
    const members = group.runIds.map((id) => byId.get(id)!);
    const stats = Object.fromEntries(
      metricColumns.map((column) => [
        column.id,
        meanInterval(members.flatMap((row) => (typeof column.value(row) === 'number' ? [column.value(row) as number] : []))),
      ]),
    );
    return { key: group.key, label: group.label, rows: members, stats };
  });
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
