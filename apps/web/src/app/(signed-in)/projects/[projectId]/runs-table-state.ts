// The runs table's state lives in the URL (filter, sort, columns, selection), so a view can be shared.
import type { RunOrder } from '@/graphql/generated/graphql';
import { firstParam, listParam, toQueryString, type SearchParams } from '@/lib/url-params';
import { columnById, DEFAULT_COLUMN_IDS } from './runs-table-columns';

export interface ColumnSort {
  columnId: string;
  direction: 'ASC' | 'DESC';
}

export interface RunsTableState {
  filter: string;
  sort: ColumnSort | null;
  columnIds: readonly string[];
  selectedRunIds: readonly string[];
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
  };
}

export function runsTableQueryString(state: RunsTableState, defaultColumnIds: readonly string[] = DEFAULT_COLUMN_IDS): string {
  const defaultColumns = state.columnIds.join(',') === defaultColumnIds.join(',');
  return toQueryString({
    q: state.filter.trim() || undefined,
    sort: state.sort?.columnId,
    dir: state.sort ? state.sort.direction.toLowerCase() : undefined,
    cols: defaultColumns ? undefined : state.columnIds.join(','),
    sel: state.selectedRunIds.join(',') || undefined,
  });
}

export function orderByOf(sort: ColumnSort | null): RunOrder | undefined {
  const order = sort ? columnById(sort.columnId)?.order : undefined;
  return order && sort ? { ...order, direction: sort.direction } : undefined;
}

/** Clicking a header: sort by it descending, then ascending, then not at all. */
export function nextSort(current: ColumnSort | null, columnId: string): ColumnSort | null {
  if (current?.columnId !== columnId) return { columnId, direction: 'DESC' };
  return current.direction === 'DESC' ? { columnId, direction: 'ASC' } : null;
}
