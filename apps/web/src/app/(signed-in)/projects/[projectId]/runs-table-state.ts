// The runs table's state lives in the URL (filter, sort, columns, selection), so a view can be shared.
import type { RunOrder, RunsTableQueryVariables } from '@/graphql/generated/graphql';
import { firstParam, listParam, toQueryString, type SearchParams } from '@/lib/url-params';
import { columnById, DEFAULT_COLUMN_IDS, type SameValueColumn } from './runs-table-columns';
import { MAX_GROUP_PATHS, type TableGroupBy } from './runs-table-groups';

export interface ColumnSort {
  columnId: string;
  direction: 'ASC' | 'DESC';
}

export interface RunsTableState {
  filter: string;
  sort: ColumnSort | null;
  columnIds: readonly string[];
  selectedRunIds: readonly string[];
  /** Rows grouped (`group=seeds`, `group=path:batchSize` or `group=path:batchSize,optimizer.name`), or each run on its own. */
  groupBy: TableGroupBy;
}

/** `defaultColumns`: the project's default view (defaultColumnIds), shown when the URL names no columns. */
export function parseRunsTableState(params: SearchParams, defaultColumns: readonly string[] = DEFAULT_COLUMN_IDS): RunsTableState {
  const sortColumn = firstParam(params, 'sort');
  const columnIds = listParam(params, 'cols');
  return {
    filter: firstParam(params, 'q') ?? '',
    sort: sortColumn && columnById(sortColumn)?.order ? { columnId: sortColumn, direction: firstParam(params, 'dir') === 'asc' ? 'ASC' : 'DESC' } : null,
    columnIds: columnIds.length > 0 ? columnIds : defaultColumns,
    selectedRunIds: listParam(params, 'sel'),
    groupBy: parseTableGroupBy(firstParam(params, 'group')),
  };
}

function parseTableGroupBy(value: string | undefined): TableGroupBy {
  if (value === 'seeds') return 'seeds';
  if (!value?.startsWith('path:')) return null;
  const paths = [...new Set(value.slice(5).split(',').filter(Boolean))].slice(0, MAX_GROUP_PATHS);
  return paths.length > 0 ? { paths } : null;
}

export function runsTableQueryString(state: RunsTableState, defaultColumnIds: readonly string[] = DEFAULT_COLUMN_IDS): string {
  const defaultColumns = state.columnIds.join(',') === defaultColumnIds.join(',');
  return toQueryString({
    q: state.filter.trim() || undefined,
    sort: state.sort?.columnId,
    dir: state.sort ? state.sort.direction.toLowerCase() : undefined,
    cols: defaultColumns ? undefined : state.columnIds.join(','),
    sel: state.selectedRunIds.join(',') || undefined,
    group: state.groupBy === null || state.groupBy === undefined ? undefined : state.groupBy === 'seeds' ? 'seeds' : `path:${state.groupBy.paths.join(',')}`,
  });
}

export function orderByOf(sort: ColumnSort | null): RunOrder | undefined {
  const order = sort ? columnById(sort.columnId)?.order : undefined;
  return order && sort ? { ...order, direction: sort.direction } : undefined;
}

/**
 * Rows of the first page, rendered on the server with the page: two screens' worth, so the HTML stays small and the
 * browser has little to hydrate; the next page follows as soon as the table is on screen.
 */
export const FIRST_PAGE_SIZE = 50;
/** Rows of each later page, read as the table is scrolled towards its end. */
export const RUNS_PAGE_SIZE = 200;

/** The first page's query variables: one definition, so the server's rendered page is the one the table asks for. */
export function runsTableVariables(projectId: string, state: Pick<RunsTableState, 'filter' | 'sort'>): RunsTableQueryVariables {
  return { projectId, filter: state.filter || null, orderBy: orderByOf(state.sort) ?? null, first: FIRST_PAGE_SIZE };
}

/** Clicking a header: sort by it descending, then ascending, then not at all. */
export function nextSort(current: ColumnSort | null, columnId: string): ColumnSort | null {
  if (current?.columnId !== columnId) return { columnId, direction: 'DESC' };
  return current.direction === 'DESC' ? { columnId, direction: 'ASC' } : null;
}

/**
 * A user's own column choices for one project, kept in the browser (localStorage) so they survive leaving the page:
 * columns they showed and columns they hid. They apply on top of the project's default view, so a column shown on
 * purpose stays even when every run has the same value there, and one hidden stays hidden when it would be a default.
 */
export interface ColumnPrefs {
  shown: readonly string[];
  hidden: readonly string[];
}

export const NO_COLUMN_PREFS: ColumnPrefs = { shown: [], hidden: [] };
const MAX_PREF_COLUMNS = 500;

export function columnPrefsKey(projectId: string): string {
  return `tuneboard:runs-table:columns:${projectId}`;
}

/** What localStorage held: anything unreadable, or naming no column, counts as no choice. */
export function parseColumnPrefs(text: string | null | undefined): ColumnPrefs {
  if (!text) return NO_COLUMN_PREFS;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return NO_COLUMN_PREFS;
  }
  const ids = (list: unknown): string[] =>
    Array.isArray(list)
      ? [...new Set(list.filter((id): id is string => typeof id === 'string' && columnById(id) !== undefined))].slice(0, MAX_PREF_COLUMNS)
      : [];
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const shown = ids(record.shown);
  const hidden = ids(record.hidden).filter((id) => !shown.includes(id));
  return shown.length === 0 && hidden.length === 0 ? NO_COLUMN_PREFS : { shown, hidden };
}

export function serializeColumnPrefs(prefs: ColumnPrefs): string {
  return JSON.stringify({ shown: prefs.shown, hidden: prefs.hidden });
}

/** The choice of one column: the latest click wins. */
export function toggleColumnPref(prefs: ColumnPrefs, id: string, visible: boolean): ColumnPrefs {
  const shown = prefs.shown.filter((s) => s !== id);
  const hidden = prefs.hidden.filter((h) => h !== id);
  return visible ? { shown: [...shown, id], hidden } : { shown, hidden: [...hidden, id] };
}

export interface ColumnView {
  /** What the project shows to someone who has chosen nothing (the URL leaves out `cols` when it is this). */
  projectDefault: readonly string[];
  /** What this user sees when the URL names no columns: the default with their choices applied. */
  columnIds: readonly string[];
  /** Default columns left out because every loaded run has the same value there, and not shown on purpose. */
  hiddenSame: readonly SameValueColumn[];
}

/**
 * The default view with a user's choices: columns they showed are kept even when every run has the same value
 * there (in their default place, or after the others), columns they hid are left out. The sorted column is
 * never left out for having one value, so a header clicked to sort stays on screen.
 */
export function columnView(
  defaults: (hide: ReadonlySet<string>) => readonly string[],
  same: readonly SameValueColumn[],
  prefs: ColumnPrefs,
  sortColumnId?: string,
): ColumnView {
  const hideAllBut = (keep: readonly (string | undefined)[]) => new Set(same.map((c) => c.id).filter((id) => !keep.includes(id)));
  const projectDefault = defaults(hideAllBut([sortColumnId]));
  const mine = defaults(hideAllBut([sortColumnId, ...prefs.shown]));
  const hidden = new Set(prefs.hidden);
  const columnIds = [...mine.filter((id) => !hidden.has(id)), ...prefs.shown.filter((id) => !mine.includes(id))];
  return {
    projectDefault,
    columnIds: columnIds.join(',') === projectDefault.join(',') ? projectDefault : columnIds,
    hiddenSame: same.filter((c) => !columnIds.includes(c.id) && !hidden.has(c.id)),
  };
}
