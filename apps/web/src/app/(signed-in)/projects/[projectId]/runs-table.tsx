'use client';
import { useApolloClient, useQuery } from '@apollo/client/react';
import { useVirtualizer } from '@tanstack/react-virtual';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ProjectFindingsDocument, RunsTableDocument, type RunsTableQuery, type RunsTableQueryVariables } from '@/graphql/generated/graphql';
import { checkRunAgainstFindings } from '@/lib/finding-rules';
import { FindingCheckBadges } from '../../findings/finding-badges';
import { summarizeApiError } from '@/lib/api-error';
import { toCsv } from '@/lib/csv';
import { formatMetric } from '@/lib/metric-value';
import { isOpenSchema, schemaVocabulary, type ProjectSchemaInfo } from '@/lib/project-schema';
import { runStatusExplanation, runStatusLabel } from '@/lib/run-status';
import { Empty, ErrorNotice, Loading } from '../../../status-views';
import { ColumnChooser } from './column-chooser';
import { FilterBar } from './filter-bar';
import { availableColumns, defaultColumnIds, paramsOf, visibleColumns, type RunColumn, type RunRow } from './runs-table-columns';
import { nextSort, orderByOf, parseRunsTableState, runsTableQueryString, type RunsTableState } from './runs-table-state';

const PAGE_SIZE = 200;
const EXPORT_PAGE_SIZE = 500;
const ROW_HEIGHT = 34;

/**
 * `schema`: the project's hyperparameter schema; for a declared or inferred project its paths are the filter
 * vocabulary and the default columns (the built-in vocabulary knows none of them).
 */
export function RunsTable({ projectId, schema }: { projectId: string; schema: ProjectSchemaInfo }) {
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const open = isOpenSchema(schema.kind);
  const vocabulary = useMemo(() => schemaVocabulary(schema), [schema]);
  // Filter and sort do not depend on the default columns, which (for open schemas) wait for the loaded runs' metrics.
  const queryState = useMemo(() => parseRunsTableState(Object.fromEntries(searchParams)), [searchParams]);

  const variables = {
    projectId,
    filter: queryState.filter || null,
    orderBy: orderByOf(queryState.sort) ?? null,
    first: PAGE_SIZE,
  };
  const { data, previousData, loading, error, fetchMore, refetch } = useQuery(RunsTableDocument, {
    variables,
    notifyOnNetworkStatusChange: true,
  });
  // While a new filter or sort loads, the previous rows stay on screen instead of a blank table.
  const connection = (data ?? previousData)?.runs;
  // One query for the project's findings, checked against each row here: the API's Run.findings would
  // look the findings up again for every one of the 200 rows of a page.
  const findingsQuery = useQuery(ProjectFindingsDocument, { variables: { projectId } });
  const withChecks = useCallback(
    (row: RunsTableQuery['runs']['nodes'][number]): RunRow => ({
      ...row,
      findingChecks: checkRunAgainstFindings(findingsQuery.data?.findings ?? [], { ...row, params: paramsOf(row) }),
    }),
    [findingsQuery.data],
  );
  const rows = useMemo(() => (connection?.nodes ?? []).map(withChecks), [connection?.nodes, withChecks]);
  const metricKeys = useMemo(() => (open ? [...new Set(rows.flatMap((row) => row.metrics.map((m) => m.key)))] : []), [open, rows]);
  const defaultColumns = useMemo(() => defaultColumnIds(schema, metricKeys), [schema, metricKeys]);
  const state = useMemo(() => parseRunsTableState(Object.fromEntries(searchParams), defaultColumns), [searchParams, defaultColumns]);
  const update = useCallback(
    (patch: Partial<RunsTableState>) => router.replace(`${pathname}${runsTableQueryString({ ...state, ...patch }, defaultColumns)}`, { scroll: false }),
    [router, pathname, state, defaultColumns],
  );
  const columns = useMemo(() => visibleColumns(state.columnIds), [state.columnIds]);
  const schemaPaths = useMemo(() => schema.paths.filter((p) => p.type !== 'null').map((p) => p.path), [schema.paths]);
  const chooserColumns = useMemo(() => mergeColumns(availableColumns(rows, open ? schemaPaths : []), columns), [rows, open, schemaPaths, columns]);
  const selected = useMemo(() => new Set(state.selectedRunIds), [state.selectedRunIds]);
  const filterError = error ? summarizeApiError(error) : undefined;

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 15,
  });
  const virtualRows = virtualizer.getVirtualItems();
  const lastVisibleIndex = virtualRows[virtualRows.length - 1]?.index ?? 0;
  const [fetchingMore, setFetchingMore] = useState(false);
  useEffect(() => {
    const pageInfo = connection?.pageInfo;
    if (!pageInfo?.hasNextPage || fetchingMore || loading || lastVisibleIndex < rows.length - 40) return;
    setFetchingMore(true);
    void fetchMore({ variables: { after: pageInfo.endCursor } }).finally(() => setFetchingMore(false));
  }, [connection?.pageInfo, fetchingMore, loading, lastVisibleIndex, rows.length, fetchMore]);

  const client = useApolloClient();
  const [exporting, setExporting] = useState<string | null>(null);
  const exportCsv = async () => {
    setExporting('Exporting…');
    try {
      const all: RunRow[] = [];
      let after: string | null = null;
      for (;;) {
        const result: Awaited<ReturnType<typeof client.query<RunsTableQuery, RunsTableQueryVariables>>> = await client.query({
          query: RunsTableDocument,
          variables: { ...variables, first: EXPORT_PAGE_SIZE, after },
          fetchPolicy: 'network-only',
        });
        if (!result.data) throw new Error('The API returned no runs.');
        all.push(...result.data.runs.nodes.map(withChecks));
        setExporting(`Exporting… ${all.length} of ${result.data.runs.totalCount}`);
        if (!result.data.runs.pageInfo.hasNextPage) break;
        after = result.data.runs.pageInfo.endCursor;
      }
      const csv = toCsv(
        ['id', ...columns.map((c) => c.label)],
        all.map((row) => [row.id, ...columns.map((c) => c.text?.(row) ?? c.value(row))]),
      );
      downloadText(csv, `runs-${projectId}.csv`, 'text/csv');
      setExporting(null);
    } catch (exportError) {
      setExporting(`Export failed: ${summarizeApiError(exportError).message}`);
    }
  };

  const toggleRun = (id: string) => update({ selectedRunIds: selected.has(id) ? state.selectedRunIds.filter((s) => s !== id) : [...state.selectedRunIds, id] });
  const allLoadedSelected = rows.length > 0 && rows.every((row) => selected.has(row.id));
  const gridTemplate = `36px ${columns.map(columnWidth).join(' ')}`;
  const compareHref = `/projects/${projectId}/compare?runs=${state.selectedRunIds.join(',')}`;

  return (
    <section className="runs" aria-label="Runs">
      <FilterBar
        applied={state.filter}
        serverError={filterError?.problems.length || error ? filterError?.message : undefined}
        onApply={(filter) => update({ filter })}
        vocabulary={vocabulary}
        example={open ? openFilterExample(schema) : undefined}
      />
      <div className="toolbar">
        <span className="count" data-testid="run-count">
          {connection ? `${connection.totalCount.toLocaleString('en-GB')} ${connection.totalCount === 1 ? 'run' : 'runs'}` : ''}
          {connection && state.filter ? ' match' : ''}
        </span>
        <ColumnChooser columns={chooserColumns} visibleIds={state.columnIds} onChange={(columnIds) => update({ columnIds })} />
        <button type="button" className="secondary" onClick={() => void exportCsv()} disabled={!connection || exporting === 'Exporting…'}>
          Export CSV
        </button>
        {exporting && <span className="muted">{exporting}</span>}
        <span className="spacer" />
        {state.selectedRunIds.length > 0 && (
          <>
            <span>{state.selectedRunIds.length} selected</span>
            <button type="button" className="link" onClick={() => update({ selectedRunIds: [] })}>
              Clear
            </button>
          </>
        )}
        <Link
          className={`button${state.selectedRunIds.length < 1 ? ' disabled' : ''}`}
          aria-disabled={state.selectedRunIds.length < 1}
          href={state.selectedRunIds.length > 0 ? compareHref : '#'}
        >
          Compare selected
        </Link>
        <Link className="button" href={`/projects/${projectId}/submit`}>
          {open ? 'Log a run' : 'Submit a run'}
        </Link>
      </div>

      {error && !connection && <ErrorNotice error={error} retry={() => void refetch()} />}
      {!connection && !error && <Loading what="runs" />}
      {connection &&
        connection.totalCount === 0 &&
        (state.filter ? (
          <Empty>No run matches this filter.</Empty>
        ) : (
          <Empty action={{ href: `/projects/${projectId}/submit`, label: open ? 'Log your first run' : 'Submit the first run' }}>
            {open ? (
              <>
                This project has no runs yet. Its runs come from your own training scripts: log one with <code>tuneboard run</code> or the SDK.
              </>
            ) : (
              'This project has no runs yet.'
            )}
          </Empty>
        ))}
      {connection && connection.totalCount > 0 && (
        <div className="grid-table" role="table" aria-label="Runs table" aria-rowcount={connection.totalCount + 1} aria-busy={loading}>
          <div className="grid-row header" role="row" style={{ gridTemplateColumns: gridTemplate }}>
            <span role="columnheader">
              <input
                type="checkbox"
                aria-label="Select all loaded runs"
                checked={allLoadedSelected}
                onChange={() => update({ selectedRunIds: allLoadedSelected ? [] : [...new Set([...state.selectedRunIds, ...rows.map((r) => r.id)])] })}
              />
            </span>
            {columns.map((column) => (
              <span
                key={column.id}
                role="columnheader"
                className={column.numeric ? 'numeric' : undefined}
                title={column.label}
                aria-sort={state.sort?.columnId === column.id ? (state.sort.direction === 'ASC' ? 'ascending' : 'descending') : undefined}
              >
                {column.order ? (
                  <button type="button" className="sort" title={`Sort by ${column.label}`} onClick={() => update({ sort: nextSort(state.sort, column.id) })}>
                    {column.label}
                    {state.sort?.columnId === column.id ? (state.sort.direction === 'ASC' ? ' ▲' : ' ▼') : ''}
                  </button>
                ) : (
                  column.label
                )}
              </span>
            ))}
          </div>
          <div ref={scrollRef} className="grid-body" data-testid="runs-scroll">
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {virtualRows.map((virtualRow) => {
                const row = rows[virtualRow.index]!;
                return (
                  <div
                    key={row.id}
                    role="row"
                    aria-rowindex={virtualRow.index + 2}
                    data-run-id={row.id}
                    className={`grid-row${selected.has(row.id) ? ' selected' : ''}`}
                    style={{ gridTemplateColumns: gridTemplate, height: ROW_HEIGHT, transform: `translateY(${virtualRow.start}px)` }}
                  >
                    <span role="cell">
                      <input type="checkbox" aria-label={`Select ${row.name}`} checked={selected.has(row.id)} onChange={() => toggleRun(row.id)} />
                    </span>
                    {columns.map((column) => (
                      <RunCell key={column.id} column={column} row={row} />
                    ))}
                  </div>
                );
              })}
            </div>
          </div>
          {(fetchingMore || (connection.pageInfo.hasNextPage && rows.length < connection.totalCount)) && (
            <p className="muted small">
              {rows.length.toLocaleString('en-GB')} of {connection.totalCount.toLocaleString('en-GB')} loaded
              {fetchingMore ? ', loading more…' : '; scroll for more'}
            </p>
          )}
        </div>
      )}
    </section>
  );
}

function RunCell({ column, row }: { column: RunColumn; row: RunRow }) {
  if (column.id === 'status') {
    return (
      <span role="cell">
        <span className={`status status-${runStatusLabel(row.status)}`} title={runStatusExplanation(row.status)}>
          {runStatusLabel(row.status)}
        </span>
      </span>
    );
  }
  if (column.id === 'name') {
    return (
      <span role="cell" className="name" title={row.name}>
        <Link href={`/runs/${row.id}`}>{row.name}</Link>
      </span>
    );
  }
  if (column.id === 'findings') {
    return (
      <span role="cell" className="findings-cell">
        <FindingCheckBadges checks={row.findingChecks ?? []} />
      </span>
    );
  }
  if (column.id === 'tags') {
    return (
      <span role="cell" className="tags">
        {row.tags.map((tag) => (
          <span key={tag} className="tag">
            {tag}
          </span>
        ))}
      </span>
    );
  }
  const value = column.value(row);
  const typed = column.text?.(row);
  const text =
    typed !== undefined
      ? typed
      : column.id === 'createdAt' && typeof value === 'string'
        ? new Date(value).toLocaleString('en-GB')
        : typeof value === 'number'
          ? formatMetric(value)
          : String(value ?? '');
  return (
    <span role="cell" className={typeof value === 'number' ? 'numeric' : undefined} title={typed ?? String(value ?? '')}>
      {text}
    </span>
  );
}

/** A placeholder in the project's own paths: a numeric one compared, a string one matched. */
function openFilterExample(schema: ProjectSchemaInfo): string {
  const numeric = schema.paths.find((p) => (p.type === 'float' || p.type === 'integer') && !p.path.includes('['));
  const text = schema.paths.find((p) => p.type === 'string' && !p.path.includes('['));
  const tests = [numeric && `${numeric.path} > 0`, text && `${text.path} ~ "…"`, 'status = "succeeded"'].filter(Boolean);
  return tests.join(' and ');
}

function columnWidth(column: RunColumn): string {
  if (column.id === 'name') return 'minmax(220px, 2fr)';
  if (column.id === 'status') return '96px';
  if (column.id === 'createdAt') return '150px';
  if (column.id === 'findings') return 'minmax(160px, 1.5fr)';
  return 'minmax(130px, 1fr)';
}

/** The chooser lists what loaded runs have plus what the URL asked for, so a shared column never vanishes. */
function mergeColumns(available: RunColumn[], visible: RunColumn[]): RunColumn[] {
  const ids = new Set(available.map((c) => c.id));
  return [...available, ...visible.filter((c) => !ids.has(c.id))];
}

function downloadText(text: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  URL.revokeObjectURL(url);
}
