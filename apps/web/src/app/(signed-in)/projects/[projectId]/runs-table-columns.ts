// The runs table's columns: run fields, every hyperparameter path (run.params) and every metric's
// last/min/max (run.metrics). A column id is its URL form: `status`, `param:batchSize`, `metric:test.accuracy:max`.
import type { FindingSeverity, RunOrder, RunsTableRowFragment } from '@/graphql/generated/graphql';
import type { CsvCell } from '@/lib/csv';
import { formatMetric, metricNumber } from '@/lib/metric-value';
import { formatParamValue, isOpenSchema, paramTypeOf, type ProjectSchemaInfo } from '@/lib/project-schema';
import { runStatusLabel } from '@/lib/run-status';

/** A run as the table shows it: the API's row, plus which of the project's findings it follows (checked here). */
export type RunRow = RunsTableRowFragment & { findingChecks?: readonly RunFindingCheck[] };
export interface RunFindingCheck {
  finding: { id: string; title: string; severity: FindingSeverity };
  follows: boolean;
}
export type MetricAggregate = 'last' | 'min' | 'max';
const AGGREGATES: readonly MetricAggregate[] = ['last', 'min', 'max'];

export interface RunColumn {
  id: string;
  label: string;
  group: 'run' | 'param' | 'metric';
  /** How the API sorts by this column; undefined when it cannot (tags, backend, device). */
  order?: Omit<RunOrder, 'direction'>;
  numeric: boolean;
  /** A metric column's key and summary (what the API's runGroups summarises per group). */
  metric?: { key: string; aggregate: MetricAggregate };
  value(row: RunRow): CsvCell;
  /** The cell's text when the value alone would misstate it (a float logged as 2.0 is the number 2). */
  text?(row: RunRow): string | undefined;
}

const RUN_FIELD_COLUMNS: readonly RunColumn[] = [
  { id: 'status', label: 'Status', group: 'run', numeric: false, order: { field: 'STATUS' }, value: (r) => runStatusLabel(r.status) },
  { id: 'name', label: 'Name', group: 'run', numeric: false, order: { field: 'NAME' }, value: (r) => r.name },
  { id: 'tags', label: 'Tags', group: 'run', numeric: false, value: (r) => r.tags.join(' ') },
  {
    id: 'findings',
    label: 'Findings',
    group: 'run',
    numeric: false,
    value: (r) => (r.findingChecks ?? []).map((c) => `${c.follows ? 'follows' : 'breaks'} ${c.finding.title}`).join('; '),
  },
  { id: 'backend', label: 'Backend', group: 'run', numeric: false, value: (r) => r.backend },
  { id: 'device', label: 'Device', group: 'run', numeric: false, value: (r) => r.device },
  { id: 'createdAt', label: 'Created', group: 'run', numeric: false, order: { field: 'CREATED_AT' }, value: (r) => r.createdAt },
];

/**
 * The built-in project's default view, metrics first after the run's name so they are on screen without scrolling.
 * Columns whose value is the same for every loaded run are left out (sameValueColumns), except the run's own.
 */
export const DEFAULT_COLUMN_IDS: readonly string[] = [
  'status',
  'name',
  'metric:test.accuracy:max',
  'metric:train.loss:last',
  'param:model.kind',
  'param:optimizer.name',
  'param:optimizer.learningRate',
  'param:batchSize',
  'param:params',
  'tags',
  'findings',
  'backend',
  'createdAt',
];

/** Columns a default view always shows, whatever the loaded runs hold: they say which run a row is. */
const ALWAYS_SHOWN: ReadonlySet<string> = new Set(['status', 'name', 'createdAt']);

export function paramsOf(row: RunRow): Record<string, unknown> {
  return typeof row.params === 'object' && row.params !== null ? (row.params as Record<string, unknown>) : {};
}

function paramColumn(path: string): RunColumn {
  return {
    id: `param:${path}`,
    label: path,
    group: 'param',
    numeric: true,
    order: { field: 'PARAM', path },
    value: (row) => {
      const value = paramsOf(row)[path];
      return typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' ? value : null;
    },
    // Runs of open schemas carry each path's type; built-in runs (no types) read as before.
    text: (row) => {
      const type = paramTypeOf(row.paramTypes, path);
      return type === undefined ? undefined : formatParamValue(paramsOf(row)[path], type);
    },
  };
}

function metricColumn(key: string, aggregate: MetricAggregate): RunColumn {
  const field = aggregate === 'last' ? 'METRIC_LAST' : aggregate === 'min' ? 'METRIC_MIN' : 'METRIC_MAX';
  return {
    id: `metric:${key}:${aggregate}`,
    label: `${aggregate}(${key})`,
    group: 'metric',
    numeric: true,
    order: { field, metric: key },
    metric: { key, aggregate },
    value: (row) => {
      const summary = row.metrics.find((m) => m.key === key);
      if (!summary) return null;
      return aggregate === 'last' ? metricNumber(summary.last) : summary[aggregate];
    },
  };
}

/** The column an id names; ids from a shared URL may name params or metrics no loaded run has yet. */
export function columnById(id: string): RunColumn | undefined {
  const runField = RUN_FIELD_COLUMNS.find((column) => column.id === id);
  if (runField) return runField;
  if (id.startsWith('param:') && id.length > 6) return paramColumn(id.slice(6));
  const metric = /^metric:(.+):(last|min|max)$/.exec(id);
  return metric ? metricColumn(metric[1]!, metric[2] as MetricAggregate) : undefined;
}

/** Metric columns shown by default on open-schema projects: the first few keys the loaded runs logged. */
const OPEN_DEFAULT_METRICS = 3;
/** Hyperparameter columns shown by default on open-schema projects, in the schema's order. */
const OPEN_DEFAULT_PARAMS = 6;

/**
 * The columns a project shows before anyone chooses: the built-in set, or for a declared/inferred project its own
 * first paths (list items left out) and the last value of the first metrics its runs logged, metrics first.
 * `hide`: columns to leave out because every loaded run has the same value there (sameValueColumns); an open
 * project's first paths are counted after leaving them out.
 */
export function defaultColumnIds(
  schema: ProjectSchemaInfo | null | undefined,
  metricKeys: readonly string[] = [],
  hide: ReadonlySet<string> = new Set(),
): readonly string[] {
  const shown = (id: string) => !hide.has(id) || ALWAYS_SHOWN.has(id);
  if (!schema || !isOpenSchema(schema.kind)) return hide.size === 0 ? DEFAULT_COLUMN_IDS : DEFAULT_COLUMN_IDS.filter(shown);
  const params = defaultCandidateIds(schema, [])
    .filter((id) => id.startsWith('param:') && shown(id))
    .slice(0, OPEN_DEFAULT_PARAMS);
  // `tuneboard run` samples system/cpu_percent and the like; the script's own metrics come first.
  const metrics = [...metricKeys].sort((a, b) => Number(isSystemMetric(a)) - Number(isSystemMetric(b)) || a.localeCompare(b)).slice(0, OPEN_DEFAULT_METRICS);
  return ['status', 'name', ...metrics.map((key) => `metric:${key}:last`), ...params, 'tags', 'findings', 'createdAt'].filter(shown);
}

/** Every column a default view could hold before same-value columns are left out (an open project: all its paths). */
export function defaultCandidateIds(schema: ProjectSchemaInfo | null | undefined, metricKeys: readonly string[] = []): readonly string[] {
  if (!schema || !isOpenSchema(schema.kind)) return DEFAULT_COLUMN_IDS;
  const paths = schema.paths.filter((p) => p.type !== 'null' && !p.path.includes('['));
  return ['status', 'name', ...metricKeys.map((key) => `metric:${key}:last`), ...paths.map((p) => `param:${p.path}`), 'tags', 'findings', 'createdAt'];
}

/** A column a default view leaves out, and the value every loaded run has there ('' for none). */
export interface SameValueColumn {
  id: string;
  label: string;
  text: string;
}

/**
 * The columns of `ids` whose value is the same for every loaded run (at least two runs): a metric when no run logged
 * it, anything else when every run has the same value (or none). The run's status, name and creation time never are.
 */
export function sameValueColumns(rows: readonly RunRow[], ids: readonly string[]): SameValueColumn[] {
  if (rows.length < 2) return [];
  const same: SameValueColumn[] = [];
  for (const id of ids) {
    const column = ALWAYS_SHOWN.has(id) ? undefined : columnById(id);
    if (!column) continue;
    if (column.group === 'metric') {
      if (rows.every((row) => column.value(row) === null)) same.push({ id, label: column.label, text: '' });
      continue;
    }
    const first = sameKey(column, rows[0]!);
    if (rows.every((row) => sameKey(column, row) === first)) same.push({ id, label: column.label, text: columnText(column, rows[0]!) });
  }
  return same;
}

/** Equal keys for equal values: the raw value and its type (2 and 2.0 logged as floats differ from the integer 2). */
function sameKey(column: RunColumn, row: RunRow): string {
  const value = column.value(row);
  return `${typeof value}:${String(value)}:${column.text?.(row) ?? ''}`;
}

/** A cell's text as the table shows it (run statuses, names, tags and dates aside, which have their own markup). */
export function columnText(column: RunColumn, row: RunRow): string {
  const typed = column.text?.(row);
  if (typed !== undefined) return typed;
  const value = column.value(row);
  return typeof value === 'number' ? formatMetric(value) : String(value ?? '');
}

/** A metric `tuneboard run` samples from the machine, not one the script logged. */
export function isSystemMetric(key: string): boolean {
  return key.startsWith('system/');
}

/**
 * Every column the loaded runs can fill, plus the schema's paths (known before any run has them): run fields,
 * then params and metrics in name order.
 */
export function availableColumns(rows: readonly RunRow[], schemaPaths: readonly string[] = []): RunColumn[] {
  const paths = new Set<string>(schemaPaths.filter((path) => !path.includes('[]')));
  const keys = new Set<string>();
  for (const row of rows) {
    for (const path of Object.keys(paramsOf(row))) paths.add(path);
    for (const metric of row.metrics) keys.add(metric.key);
  }
  return [
    ...RUN_FIELD_COLUMNS,
    ...[...paths].sort().map(paramColumn),
    ...[...keys].sort().flatMap((key) => AGGREGATES.map((aggregate) => metricColumn(key, aggregate))),
  ];
}

export function visibleColumns(ids: readonly string[]): RunColumn[] {
  return ids.map(columnById).filter((column): column is RunColumn => column !== undefined);
}
