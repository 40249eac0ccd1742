/**
 * The runs table's groups over every run matching its filter (not only the rows a browser has loaded): per group
 * its shared values, its run count and, per metric column, n, mean, standard deviation and the Student-t 95 %
 * interval of the mean — packages/findings' groupRuns and meanInterval, so the numbers match compare's bands.
 */
import { runStore } from '@tuneboard/db';
import { groupRuns, meanInterval } from '@tuneboard/findings';
import { badUserInput } from './errors';
import { oneAtATime } from './fairness';
import { checkGroupBy, checkOrder, parseRunFilter, projectVocabulary, type RunGroupBy } from './run-listing';
import type { Scope } from './scope';

type RunListOrder = runStore.RunListOrder;
type Aggregate = runStore.RunMetricColumn['agg'];

/** Groups one answer holds at most; the rest are counted (groupCount) and flagged (truncated). */
export const MAX_RUN_GROUPS = 500;
/** Metric columns one answer summarises at most (a table shows a handful). */
export const MAX_GROUP_METRICS = 30;

export interface RunGroupsArgs {
  filter?: string | null;
  groupBy: RunGroupBy;
  /** The table's metric columns: a key and LAST, MIN or MAX. */
  metrics?: readonly { key: string; aggregate: 'LAST' | 'MIN' | 'MAX' }[] | null;
  /** The table's sort: groups follow it when it is a metric (by the group's mean), else they go by their values. */
  orderBy?: RunListOrder | null;
  first?: number | null;
}

type ParamValue = number | string | boolean | null;

export interface RunGroupMetric {
  key: string;
  aggregate: 'LAST' | 'MIN' | 'MAX';
  n: number;
  mean: number | null;
  std: number | null;
  low: number | null;
  high: number | null;
}

export interface RunGroupView {
  key: string;
  label: string;
  values: Record<string, ParamValue>;
  runCount: number;
  metrics: RunGroupMetric[];
}

export interface RunGroupsView {
  paths: string[];
  runCount: number;
  groupCount: number;
  truncated: boolean;
  groups: RunGroupView[];
}

const AGGREGATES = { LAST: 'last', MIN: 'min', MAX: 'max' } as const;
const ORDER_AGGREGATE = { METRIC_LAST: 'last', METRIC_MIN: 'min', METRIC_MAX: 'max' } as const;

/** The groups of a project's runs that match `filter`; the project has been read by the caller (Project.runGroups). */
export async function runGroups(ctx: Scope, projectId: string, args: RunGroupsArgs): Promise<RunGroupsView> {
  const first = args.first ?? MAX_RUN_GROUPS;
  if (!Number.isInteger(first) || first < 1 || first > MAX_RUN_GROUPS)
    throw badUserInput(`first must be between 1 and ${MAX_RUN_GROUPS}`, [{ path: 'first', message: `must be 1–${MAX_RUN_GROUPS}` }]);
  const metrics = args.metrics ?? [];
  if (metrics.length > MAX_GROUP_METRICS)
    throw badUserInput(`metrics lists at most ${MAX_GROUP_METRICS} columns, got ${metrics.length}`, [
      { path: 'metrics', message: `at most ${MAX_GROUP_METRICS}` },
    ]);
  metrics.forEach((m, i) => {
    if (m.key.trim() === '' || m.key.length > 500)
      throw badUserInput(`metrics[${i}].key must be a metric key (1 to 500 characters)`, [{ path: `metrics[${i}].key`, message: 'not a metric key' }]);
  });
  const vocabulary = await projectVocabulary(ctx, projectId);
  const filter = parseRunFilter(args.filter, 'filter', vocabulary);
  const grouping = checkGroupBy(args.groupBy, vocabulary);
  checkOrder(args.orderBy, vocabulary);

  // The sort's metric is read too, when no column asked for it: groups are ordered by its mean.
  const columns: runStore.RunMetricColumn[] = metrics.map((m) => ({ key: m.key, agg: AGGREGATES[m.aggregate] }));
  const field = args.orderBy?.field;
  let sortColumn = -1;
  if (field === 'METRIC_LAST' || field === 'METRIC_MIN' || field === 'METRIC_MAX') {
    const sortBy = { key: args.orderBy!.metric!, agg: ORDER_AGGREGATE[field] as Aggregate };
    sortColumn = columns.findIndex((c) => c.key === sortBy.key && c.agg === sortBy.agg);
    if (sortColumn < 0) sortColumn = columns.push(sortBy) - 1;
  }

  const runs = await oneAtATime(ctx, () => runStore.runsForGrouping(ctx.store, { projectId, filter }, columns));
  const byId = new Map(runs.map((run) => [run.id, run]));
  const groups = groupRuns(runs, grouping).map((group) => {
    const members = group.runIds.map((id) => byId.get(id)!);
    const stats = columns.map((_, i) => meanInterval(members.flatMap((run) => (run.values[i] === null ? [] : [run.values[i]!]))));
    return { group, stats };
  });

  const descending = args.orderBy?.direction !== 'ASC';
  groups.sort((a, b) => {
    if (sortColumn >= 0) {
      const x = a.stats[sortColumn]!.mean;
      const y = b.stats[sortColumn]!.mean;
      // Groups without the metric last, whichever the direction (as runs without it are).
      if (x !== y) {
        if (x === null) return 1;
        if (y === null) return -1;
        return descending ? y - x : x - y;
      }
    }
    return compareGroupValues(a.group.values, b.group.values) || (a.group.label < b.group.label ? -1 : a.group.label > b.group.label ? 1 : 0);
  });

  const shown = groups.slice(0, first);
  return {
    paths: 'paths' in grouping ? [...grouping.paths] : Object.keys(groups[0]?.group.values ?? {}),
    runCount: runs.length,
    groupCount: groups.length,
    truncated: groups.length > shown.length,
    groups: shown.map(({ group, stats }) => ({
      key: encodeGroupKey(group.key),
      label: group.label,
      values: group.values,
      runCount: group.runIds.length,
      metrics: metrics.map((m, i) => ({ key: m.key, aggregate: m.aggregate, ...stats[i]! })),
    })),
  };
}

/**
 * A group's key as clients see it: opaque, and free of the NUL characters configuration keys are joined with (the API
 * refuses NUL in any text it is sent back).
 */
export const encodeGroupKey = (key: string) => Buffer.from(key).toString('base64url');

/** Path by path in the grouping's order: numbers numerically, then booleans, then text; a missing value last. */
function compareGroupValues(a: Record<string, ParamValue>, b: Record<string, ParamValue>): number {
  for (const path of Object.keys(a)) {
    const order = compareValue(a[path] ?? null, b[path] ?? null);
    if (order !== 0) return order;
  }
  return 0;
}

const RANK = { number: 0, boolean: 1, string: 2 } as Record<string, number>;
function compareValue(x: ParamValue, y: ParamValue): number {
  if (x === y) return 0;
  if (x === null) return 1;
  if (y === null) return -1;
  if (typeof x !== typeof y) return RANK[typeof x]! - RANK[typeof y]!;
  if (typeof x === 'number') return x - (y as number);
  return String(x) < String(y) ? -1 : 1;
}
