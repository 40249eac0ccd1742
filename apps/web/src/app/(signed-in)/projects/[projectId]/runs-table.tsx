'use client';
import { LocalTime } from '../../../local-time';
import { useApolloClient } from '@apollo/client/react';
import { useVirtualizer } from '@tanstack/react-virtual';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore, type CSSProperties, type KeyboardEvent } from 'react';
import {
  ProjectFindingsDocument,
  RunsTableDocument,
  type ProjectFindingsQuery,
  type ProjectFindingsQueryVariables,
  type RunsTableQuery,
  type RunsTableQueryVariables,
} from '@/graphql/generated/graphql';
import { checkRunAgainstFindings } from '@/lib/finding-rules';
import { FindingCheckBadges } from '../../findings/finding-badges';
import { summarizeApiError } from '@/lib/api-error';
import { toCsv } from '@/lib/csv';
import { isOpenSchema, schemaVocabulary, type ProjectSchemaInfo } from '@/lib/project-schema';
import { runStatusExplanation, runStatusLabel } from '@/lib/run-status';
import { useSeededQuery, type SeededQuery } from '@/lib/server-seeded-query';
import { Empty, ErrorNotice, Loading } from '../../../status-views';
import { ColumnChooser } from './column-chooser';
import { FilterBar } from './filter-bar';
import { groupablePaths } from './runs-table-groups';
import { RunGroupsTable, TableGroupByControl } from './run-groups-table';
import {
  availableColumns,
  columnText,
  defaultCandidateIds,
  defaultColumnIds,
  paramsOf,
  sameValueColumns,
  visibleColumns,
  type RunColumn,
  type RunRow,
  type SameValueColumn,
} from './runs-table-columns';
import {
  columnPrefsKey,
  columnView,
  nextSort,
  orderByOf,
  RUNS_PAGE_SIZE,
  parseColumnPrefs,
  parseRunsTableState,
  runsTableQueryString,
  runsTableVariables,
  serializeColumnPrefs,
  toggleColumnPref,
  type ColumnPrefs,
  type RunsTableState,
} from './runs-table-state';

type RunsPage = RunsTableQuery['runs'];

const EXPORT_PAGE_SIZE = 500;
const ROW_HEIGHT = 34;
const SELECT_WIDTH = 36;
/** Rows rendered before the scroll box is measured (plus the overscan). */
const INITIAL_ROWS = 20;
/** How close to the last loaded row (in rows on screen) scrolling loads the next page. */
const LOAD_MORE_WITHIN_ROWS = 25;
/** Same-value columns named in the note above the table before it says "and N more". */
const NOTE_COLUMNS = 8;

/**
 * `schema`: the project's hyperparameter schema; for a declared or inferred project its paths are the filter
 * vocabulary and the default columns (the built-in vocabulary knows none of them).
 */
export function RunsTable({
  projectId,
  schema,
  firstPage,
  findings,
}: {
  projectId: string;
  schema: ProjectSchemaInfo;
  /** The first page as the server read it for this URL, rendered without waiting for the browser to ask. */
  firstPage?: SeededQuery<RunsTableQuery, RunsTableQueryVariables>;
  /** The project's findings as the server read them, checked against each row. */
  findings?: SeededQuery<ProjectFindingsQuery, ProjectFindingsQueryVariables>;
}) {
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const open = isOpenSchema(schema.kind);
  const vocabulary = useMemo(() => schemaVocabulary(schema), [schema]);
  // Filter and sort do not depend on the default columns, which (for open schemas) wait for the loaded runs' metrics.
  const queryState = useMemo(() => parseRunsTableState(Object.fromEntries(searchParams)), [searchParams]);

  const variables = runsTableVariables(projectId, queryState);
  const { data, previousData, loading, error, refetch } = useSeededQuery(RunsTableDocument, { variables, notifyOnNetworkStatusChange: true }, firstPage);
  // While a new filter or sort loads, the previous rows stay on screen instead of a blank table.
  const connection = (data ?? previousData)?.runs;
  // The pages after the first, read as the rows are scrolled to, belong to the first page they follow (a new filter,
  // sort or refetch starts over). They are kept here, not in Apollo's cache: one cached list of 10,000 normalised runs
  // is read back in full on every page added to it, which stalled the page for seconds near the end.
  const [more, setMore] = useState<{ after?: RunsPage; pages: readonly RunsPage[]; error?: string }>({ pages: [] });
  const pages = useMemo(() => (connection ? [connection, ...(more.after === connection ? more.pages : [])] : []), [connection, more]);
  const lastPage = pages[pages.length - 1];
  const moreError = more.after === connection ? more.error : undefined;
  // One query for the project's findings, checked against each row here: the API's Run.findings would
  // look the findings up again for every one of the 200 rows of a page.
  const findingsQuery = useSeededQuery(ProjectFindingsDocument, { variables: { projectId } }, findings);
  const withChecks = useCallback(
    (row: RunsTableQuery['runs']['nodes'][number]): RunRow => ({
      ...row,
      findingChecks: checkRunAgainstFindings(findingsQuery.data?.findings ?? [], { ...row, params: paramsOf(row) }),
    }),
    [findingsQuery.data],
  );
  const rows = useMemo(() => pages.flatMap((page) => page.nodes.map(withChecks)), [pages, withChecks]);
  const metricKeys = useMemo(() => (open ? [...new Set(rows.flatMap((row) => row.metrics.map((m) => m.key)))] : []), [open, rows]);
  // Columns whose value is the same for every loaded run are left out of the default view (and named in a note).
  const same = useMemo(() => sameValueColumns(rows, defaultCandidateIds(schema, metricKeys)), [rows, schema, metricKeys]);
  const [prefs, savePrefs] = useColumnPrefs(projectId);
  const view = useMemo(
    () => columnView((hide) => defaultColumnIds(schema, metricKeys, hide), same, prefs, queryState.sort?.columnId),
    [schema, metricKeys, same, prefs, queryState.sort?.columnId],
  );
  // The URL's columns (a shared view) win; without them, the default with this user's choices for the project.
  const state = useMemo(() => parseRunsTableState(Object.fromEntries(searchParams), view.columnIds), [searchParams, view.columnIds]);
  const update = useCallback(
    (patch: Partial<RunsTableState>) => router.replace(`${pathname}${runsTableQueryString({ ...state, ...patch }, view.projectDefault)}`, { scroll: false }),
    [router, pathname, state, view.projectDefault],
  );
  const urlNamesColumns = searchParams.has('cols');
  const toggleColumn = (id: string, visible: boolean) => {
    const next = toggleColumnPref(prefs, id, visible);
    savePrefs(next);
    // A shared view is edited as it is; otherwise the view follows the saved choices.
    const columnIds = urlNamesColumns
      ? visible
        ? [...state.columnIds, id]
        : state.columnIds.filter((c) => c !== id)
      : columnView((hide) => defaultColumnIds(schema, metricKeys, hide), same, next, state.sort?.columnId).columnIds;
    update({ columnIds });
  };
  const resetColumns = () => {
    savePrefs(null);
    update({ columnIds: view.projectDefault });
  };
  const columns = useMemo(() => visibleColumns(state.columnIds), [state.columnIds]);
  const schemaPaths = useMemo(() => schema.paths.filter((p) => p.type !== 'null').map((p) => p.path), [schema.paths]);
  const chooserColumns = useMemo(() => mergeColumns(availableColumns(rows, open ? schemaPaths : []), columns), [rows, open, schemaPaths, columns]);
  const hiddenSame = useMemo(() => view.hiddenSame.filter((c) => !state.columnIds.includes(c.id)), [view.hiddenSame, state.columnIds]);
  const selected = useMemo(() => new Set(state.selectedRunIds), [state.selectedRunIds]);
  // What the runs can be grouped by: the hyperparameters that differ among the loaded runs (the groups themselves
  // cover every run matching the filter; run-groups-table.tsx).
  const groupPaths = useMemo(() => groupablePaths(rows, schemaPaths), [rows, schemaPaths]);
  const filterError = error ? summarizeApiError(error) : undefined;

  const scrollRef = useRef<HTMLDivElement>(null);
  // Rows are placed from the top of the body, below the sticky header in the same scroll box: the window the
  // virtualizer renders (scrollTop to scrollTop + height) covers every row visible under the header, plus overscan.
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 15,
    // Before the box is measured (on the server, and in the browser's first render, which must match it), assume a
    // screenful of rows, so the server's HTML shows the first rows rather than an empty box.
    initialRect: { width: 0, height: INITIAL_ROWS * ROW_HEIGHT },
  });
  const virtualRows = virtualizer.getVirtualItems();
  // The last row on screen, not counting overscan: the next page loads once the reader scrolls within a screenful
  // of the end, rather than at once after the first page (its rendering would then compete with the first paint).
  const lastVisibleIndex = virtualizer.range?.endIndex ?? 0;
  const [fetchingMore, setFetchingMore] = useState(false);
  const client = useApolloClient();
  useEffect(() => {
    const pageInfo = lastPage?.pageInfo;
    if (!connection || !pageInfo?.hasNextPage || fetchingMore || moreError || loading || lastVisibleIndex < rows.length - LOAD_MORE_WITHIN_ROWS) return;
    setFetchingMore(true);
    const first = connection;
    client
      .query({ query: RunsTableDocument, variables: { ...variables, first: RUNS_PAGE_SIZE, after: pageInfo.endCursor }, fetchPolicy: 'no-cache' })
      .then((result) => {
        const page = result.data?.runs;
        if (!page) throw new Error('The API returned no runs.');
        setMore((current) => ({ after: first, pages: current.after === first ? [...current.pages, page] : [page] }));
      })
      .catch((fetchError: unknown) =>
        setMore((current) => ({ after: first, pages: current.after === first ? current.pages : [], error: summarizeApiError(fetchError).message })),
      )
      .finally(() => setFetchingMore(false));
    // Not on `variables`, rebuilt on every render: `connection` changes whenever they do.
  }, [connection, lastPage, fetchingMore, moreError, loading, lastVisibleIndex, rows.length, client]);

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
          // A one-off download: its pages of 500 stay out of the cache (and out of the table's list).
          fetchPolicy: 'no-cache',
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

  // The selection lives in the URL, which updates a moment after router.replace: quick toggles (x, x, c from the
  // keyboard) build on the latest selection made here. The URL's intermediate states are not taken back in; its
  // state is adopted once it shows the last selection written (or when something else, back/forward, changed it).
  const latestSelection = useRef(state.selectedRunIds);
  const awaitedSelection = useRef<string | null>(null);
  useEffect(() => {
    const shown = state.selectedRunIds.join(',');
    if (awaitedSelection.current !== null && awaitedSelection.current !== shown) return;
    awaitedSelection.current = null;
    latestSelection.current = state.selectedRunIds;
  }, [state.selectedRunIds]);
  const setSelection = (next: string[]) => {
    latestSelection.current = next;
    awaitedSelection.current = next.join(',');
    update({ selectedRunIds: next });
  };
  const toggleRun = (id: string) => {
    const current = latestSelection.current;
    setSelection(current.includes(id) ? current.filter((s) => s !== id) : [...current, id]);
  };
  const allLoadedSelected = rows.length > 0 && rows.every((row) => selected.has(row.id));
  const layout = useMemo(() => gridLayout(columns), [columns]);
  // A header lines up with its values: right for numbers (a parameter can hold text), judged on the first page.
  const numericIds = useMemo(
    () => new Set(columns.filter((c) => c.numeric && rows.slice(0, RUNS_PAGE_SIZE).some((row) => typeof c.value(row) === 'number')).map((c) => c.id)),
    [columns, rows],
  );
  const compareHref = `/projects/${projectId}/compare?runs=${state.selectedRunIds.join(',')}`;
  // The keyboard cursor of the table (j/k or ↓/↑ move it, x or Space selects, o or Enter opens, c compares): the
  // row it is on, as an index into the loaded rows; listed on the ? overlay (shortcuts-help.tsx).
  const [cursor, setCursor] = useState(-1);
  const onTableKey = (event: KeyboardEvent<HTMLDivElement>) => {
    // Only keys pressed on the table itself: a header's sort button or a row's checkbox keeps its own keys.
    if (event.target !== event.currentTarget || event.ctrlKey || event.metaKey || event.altKey || rows.length === 0) return;
    const move = (to: number) => {
      const next = Math.max(0, Math.min(rows.length - 1, to));
      setCursor(next);
      virtualizer.scrollToIndex(next, { align: 'auto' });
    };
    const row = rows[cursor];
    const handled = (() => {
      switch (event.key) {
        case 'j':
        case 'ArrowDown':
          return (move(cursor + 1), true);
        case 'k':
        case 'ArrowUp':
          return (move(cursor - 1), true);
        case 'x':
        case ' ':
          return row ? (toggleRun(row.id), true) : false;
        case 'o':
        case 'Enter':
          return row ? (router.push(`/runs/${row.id}`), true) : false;
        case 'c':
          return latestSelection.current.length > 0 ? (router.push(`/projects/${projectId}/compare?runs=${latestSelection.current.join(',')}`), true) : false;
        default:
          return false;
      }
    })();
    if (handled) event.preventDefault();
  };

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
        <ColumnChooser
          columns={chooserColumns}
          visibleIds={state.columnIds}
          sameIds={sameIds(same)}
          onToggle={toggleColumn}
          onReset={prefs.shown.length > 0 || prefs.hidden.length > 0 || urlNamesColumns ? resetColumns : undefined}
        />
        <button type="button" className="secondary" onClick={() => void exportCsv()} disabled={!connection || exporting === 'Exporting…'}>
          Export CSV
        </button>
        {exporting && <span className="muted">{exporting}</span>}
        <TableGroupByControl groupBy={state.groupBy} paths={groupPaths} onChange={(groupBy) => update({ groupBy })} />
        <span className="spacer" />
        {state.selectedRunIds.length > 0 && (
          <>
            <span>{state.selectedRunIds.length} selected</span>
            <button type="button" className="link" onClick={() => setSelection([])}>
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
      {connection && connection.totalCount > 0 && hiddenSame.length > 0 && <SameValueNote columns={hiddenSame} allLoaded={!lastPage?.pageInfo.hasNextPage} />}
      {connection && connection.totalCount > 0 && state.groupBy && (
        <RunGroupsTable projectId={projectId} filter={state.filter} orderBy={orderByOf(state.sort) ?? null} columns={columns} groupBy={state.groupBy} />
      )}
      {connection && connection.totalCount > 0 && !state.groupBy && (
        <>
          {/* One scroll box for the header and the rows: the header sticks to its top and the run's checkbox, status
              and name to its left, so a horizontal scroll moves every column with its header. */}
          <div
            ref={scrollRef}
            className="runs-grid"
            role="table"
            aria-label="Runs table"
            aria-rowcount={connection.totalCount + 1}
            aria-colcount={columns.length + 1}
            aria-busy={loading}
            data-testid="runs-scroll"
            data-loaded={rows.length}
            tabIndex={0}
            aria-keyshortcuts="j k ArrowDown ArrowUp x Space o Enter c"
            onKeyDown={onTableKey}
            style={{ scrollPaddingLeft: layout.stickyWidth }}
          >
            <div role="rowgroup" className="runs-grid-head" style={{ width: layout.width }}>
              <div role="row" aria-rowindex={1} className="runs-grid-row" style={{ gridTemplateColumns: layout.template }}>
                <span role="columnheader" className="sticky" style={stickyStyle(layout, -1)}>
                  <input
                    type="checkbox"
                    aria-label="Select all loaded runs"
                    checked={allLoadedSelected}
                    onChange={() => setSelection(allLoadedSelected ? [] : [...new Set([...latestSelection.current, ...rows.map((r) => r.id)])])}
                  />
                </span>
                {columns.map((column, index) => {
                  const sorted = state.sort?.columnId === column.id ? state.sort.direction : undefined;
                  return (
                    <span
                      key={column.id}
                      role="columnheader"
                      className={headerClass(layout, index, numericIds.has(column.id))}
                      style={stickyStyle(layout, index)}
                      title={column.label}
                      data-column-id={column.id}
                      aria-sort={sorted === 'ASC' ? 'ascending' : sorted === 'DESC' ? 'descending' : undefined}
                    >
                      {column.order ? (
                        <button
                          type="button"
                          className={`sort${sorted ? ' sorted' : ''}`}
                          title={`Sort by ${column.label}${sorted === 'DESC' ? ' (now descending; next: ascending)' : sorted === 'ASC' ? ' (now ascending; next: unsorted)' : ''}`}
                          onClick={() => update({ sort: nextSort(state.sort, column.id) })}
                        >
                          <HeaderLabel label={column.label} arrow={sorted === 'ASC' ? '▲' : sorted === 'DESC' ? '▼' : '↕'} />
                        </button>
                      ) : (
                        <HeaderLabel label={column.label} />
                      )}
                    </span>
                  );
                })}
              </div>
            </div>
            <div role="rowgroup" className="runs-grid-body" style={{ width: layout.width, height: virtualizer.getTotalSize() }}>
              {virtualRows.map((virtualRow) => {
                const row = rows[virtualRow.index]!;
                return (
                  <div
                    key={row.id}
                    role="row"
                    aria-rowindex={virtualRow.index + 2}
                    data-run-id={row.id}
                    className={`runs-grid-row${selected.has(row.id) ? ' selected' : ''}${virtualRow.index === cursor ? ' cursor' : ''}`}
                    aria-current={virtualRow.index === cursor ? 'true' : undefined}
                    style={{ gridTemplateColumns: layout.template, height: ROW_HEIGHT, transform: `translateY(${virtualRow.start}px)` }}
                  >
                    <span role="cell" className="sticky" style={stickyStyle(layout, -1)}>
                      <input type="checkbox" aria-label={`Select ${row.name}`} checked={selected.has(row.id)} onChange={() => toggleRun(row.id)} />
                    </span>
                    {columns.map((column, index) => (
                      <RunCell key={column.id} column={column} row={row} className={cellClass(layout, index)} style={stickyStyle(layout, index)} />
                    ))}
                  </div>
                );
              })}
            </div>
          </div>
          {(fetchingMore || moreError || (lastPage?.pageInfo.hasNextPage && rows.length < connection.totalCount)) && (
            <p className="muted small">
              {rows.length.toLocaleString('en-GB')} of {connection.totalCount.toLocaleString('en-GB')} loaded
              {fetchingMore ? ', loading more…' : moreError ? `; loading more failed: ${moreError} ` : '; scroll for more'}
              {moreError && !fetchingMore && (
                <button type="button" className="link" onClick={() => setMore((current) => ({ ...current, error: undefined }))}>
                  Retry
                </button>
              )}
            </p>
          )}
        </>
      )}
    </section>
  );
}

/** The saved column choices of one project in this browser, read after hydration (the server has none). */
const PREFS_EVENT = 'tuneboard:runs-table-columns';
function useColumnPrefs(projectId: string): [ColumnPrefs, (prefs: ColumnPrefs | null) => void] {
  const key = columnPrefsKey(projectId);
  const subscribe = useCallback((onChange: () => void) => {
    window.addEventListener('storage', onChange);
    window.addEventListener(PREFS_EVENT, onChange);
    return () => {
      window.removeEventListener('storage', onChange);
      window.removeEventListener(PREFS_EVENT, onChange);
    };
  }, []);
  const text = useSyncExternalStore(
    subscribe,
    () => readStorage(key),
    () => null,
  );
  const prefs = useMemo(() => parseColumnPrefs(text), [text]);
  const save = useCallback(
    (next: ColumnPrefs | null) => {
      try {
        if (next) window.localStorage.setItem(key, serializeColumnPrefs(next));
        else window.localStorage.removeItem(key);
      } catch {
        // Storage full or blocked: the choice still applies through the URL.
      }
      window.dispatchEvent(new Event(PREFS_EVENT));
    },
    [key],
  );
  return [prefs, save];
}

function readStorage(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function sameIds(same: readonly SameValueColumn[]): ReadonlySet<string> {
  return new Set(same.map((c) => c.id));
}

function SameValueNote({ columns, allLoaded }: { columns: readonly SameValueColumn[]; allLoaded: boolean }) {
  const named = columns.slice(0, NOTE_COLUMNS);
  return (
    <p className="muted small same-value-note" data-testid="same-value-note">
      Hidden because {allLoaded ? 'every run has' : 'every loaded run has'} the same value:{' '}
      {named.map((c, index) => (
        <span key={c.id}>
          {index > 0 && ', '}
          <code>{c.label}</code> {c.text === '' ? '(none)' : <>= {c.text}</>}
        </span>
      ))}
      {columns.length > named.length && ` and ${columns.length - named.length} more`}. Show them from Columns.
    </p>
  );
}

/**
 * A header's full name, wrapping after dots, slashes and brackets rather than anywhere; a sortable one ends with its
 * sort arrow, kept on the last word's line.
 */
function HeaderLabel({ label, arrow }: { label: string; arrow?: string }) {
  const parts = label.split(/(?<=[./(_])/);
  return (
    <span className="label">
      {parts.map((part, index) => (
        <span key={index}>
          {index > 0 && <wbr />}
          {part}
        </span>
      ))}
      {arrow && (
        <span className="sort-arrow" aria-hidden="true">
          {'\u00a0'}
          {arrow}
        </span>
      )}
    </span>
  );
}

function RunCell({ column, row, className, style }: { column: RunColumn; row: RunRow; className?: string; style?: CSSProperties }) {
  const cls = (extra?: string) => [className, extra].filter(Boolean).join(' ') || undefined;
  if (column.id === 'status') {
    return (
      <span role="cell" className={cls()} style={style}>
        <span className={`status status-${runStatusLabel(row.status)}`} title={runStatusExplanation(row.status)}>
          {runStatusLabel(row.status)}
        </span>
      </span>
    );
  }
  if (column.id === 'name') {
    return (
      <span role="cell" className={cls('name')} style={style} title={row.name}>
        {/* Not prefetched on sight: scrolling through thousands of runs would fetch every run page it passes. */}
        <Link href={`/runs/${row.id}`} prefetch={false}>
          {row.name}
        </Link>
      </span>
    );
  }
  if (column.id === 'findings') {
    return (
      <span role="cell" className={cls('findings-cell')} style={style}>
        <FindingCheckBadges checks={row.findingChecks ?? []} />
      </span>
    );
  }
  if (column.id === 'tags') {
    return (
      <span role="cell" className={cls('tags')} style={style}>
        {row.tags.map((tag) => (
          <span key={tag} className="tag">
            {tag}
          </span>
        ))}
      </span>
    );
  }
  const value = column.value(row);
  const text = column.id === 'createdAt' && typeof value === 'string' ? <LocalTime iso={value} /> : columnText(column, row);
  return (
    <span role="cell" className={cls(typeof value === 'number' ? 'numeric' : undefined)} style={style} title={column.text?.(row) ?? String(value ?? '')}>
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

/** Fixed widths, so a header and its cells (separate grid rows) always line up and sticky offsets are known. */
function columnWidth(column: RunColumn): number {
  if (column.id === 'name') return 220;
  if (column.id === 'status') return 100;
  if (column.id === 'createdAt') return 176;
  if (column.id === 'findings') return 170;
  if (column.id === 'tags') return 150;
  if (column.id === 'backend' || column.id === 'device') return 100;
  return 128;
}

interface GridLayout {
  template: string;
  width: number;
  /** Left offsets of the leading columns that stick (status and name), by column index. */
  stickyLeft: readonly number[];
  stickyWidth: number;
}

/** The checkbox, then the columns; the run's status and name stick to the left while they lead the row. */
function gridLayout(columns: readonly RunColumn[]): GridLayout {
  const widths = columns.map(columnWidth);
  const stickyLeft: number[] = [];
  let left = SELECT_WIDTH;
  for (const [index, column] of columns.entries()) {
    if (column.id !== 'status' && column.id !== 'name') break;
    stickyLeft.push(left);
    left += widths[index]!;
  }
  return {
    template: [SELECT_WIDTH, ...widths].map((w) => `${w}px`).join(' '),
    width: widths.reduce((sum, w) => sum + w, SELECT_WIDTH),
    stickyLeft,
    stickyWidth: left,
  };
}

function stickyStyle(layout: GridLayout, index: number): CSSProperties | undefined {
  if (index < 0) return { left: 0 };
  const left = layout.stickyLeft[index];
  return left === undefined ? undefined : { left };
}

function cellClass(layout: GridLayout, index: number): string | undefined {
  if (index >= layout.stickyLeft.length) return undefined;
  return index === layout.stickyLeft.length - 1 ? 'sticky sticky-last' : 'sticky';
}

function headerClass(layout: GridLayout, index: number, numeric: boolean): string | undefined {
  return [cellClass(layout, index), numeric ? 'numeric' : undefined].filter(Boolean).join(' ') || undefined;
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
