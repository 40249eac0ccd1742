'use client';
// The runs table's grouped view: one row per group of every run matching the filter (grouped on the server: count,
// mean ± std and 95 % interval of each metric column), each expandable into its runs, read a page at a time.
// Drawn instead of the run grid while a grouping is chosen.
import { useApolloClient, useQuery } from '@apollo/client/react';
import Link from 'next/link';
import { Fragment, useCallback, useEffect, useState } from 'react';
import {
  RunGroupRunsDocument,
  RunGroupsDocument,
  type RunGroupInput,
  type RunGroupRunsQuery,
  type RunOrder,
  type RunsTableRowFragment,
} from '@/graphql/generated/graphql';
import { summarizeApiError } from '@/lib/api-error';
import { formatMetric } from '@/lib/metric-value';
import { ErrorNotice, Loading } from '../../../status-views';
import type { RunColumn, RunRow } from './runs-table-columns';
import { groupByInput, intervalText, MAX_GROUP_PATHS, meanText, metricColumnsInput, type ColumnStats, type TableGroupBy } from './runs-table-groups';

/** Runs of an expanded group read at a time. */
const GROUP_PAGE_SIZE = 50;

export function TableGroupByControl({
  groupBy,
  paths,
  onChange,
}: {
  groupBy: TableGroupBy;
  /** `varying` among the loaded rows first, then the schema's `other` paths. */
  paths: { varying: readonly string[]; other: readonly string[] };
  onChange: (groupBy: TableGroupBy) => void;
}) {
  const value = groupBy === null ? '' : groupBy === 'seeds' ? 'seeds' : `path:${groupBy.paths[0]}`;
  const chosen = groupBy !== null && groupBy !== 'seeds' ? groupBy.paths : [];
  // A path named in the URL stays selectable even when the schema does not list it.
  const listed = new Set([...paths.varying, ...paths.other]);
  const varying = [...paths.varying, ...chosen.filter((path) => !listed.has(path))];
  const options = [...varying, ...paths.other];
  const more = options.filter((path) => !chosen.includes(path));
  return (
    <>
      <label>
        Group by{' '}
        <select
          aria-label="Group runs by"
          value={value}
          onChange={(e) => {
            const next = e.target.value;
            onChange(next === '' ? null : next === 'seeds' ? 'seeds' : { paths: [next.slice('path:'.length)] });
          }}
        >
          <option value="">none</option>
          <option value="seeds">everything but seeds</option>
          <optgroup label="varying in the loaded runs">
            {varying.map((path) => (
              <option key={path} value={`path:${path}`}>
                {path}
              </option>
            ))}
          </optgroup>
          {paths.other.length > 0 && (
            <optgroup label="other paths">
              {paths.other.map((path) => (
                <option key={path} value={`path:${path}`}>
                  {path}
                </option>
              ))}
            </optgroup>
          )}
        </select>
      </label>
      {chosen.length > 1 && <span className="muted">then {chosen.slice(1).join(', ')}</span>}
      {chosen.length > 0 && chosen.length < MAX_GROUP_PATHS && more.length > 0 && (
        <label>
          and by{' '}
          <select aria-label="Also group runs by" value="" onChange={(e) => e.target.value && onChange({ paths: [...chosen, e.target.value] })}>
            <option value="">…</option>
            {more.map((path) => (
              <option key={path} value={path}>
                {path}
              </option>
            ))}
          </select>
        </label>
      )}
    </>
  );
}

export function RunGroupsTable({
  projectId,
  filter,
  orderBy,
  columns,
  groupBy,
}: {
  projectId: string;
  filter: string;
  orderBy: RunOrder | null;
  columns: readonly RunColumn[];
  groupBy: NonNullable<TableGroupBy>;
}) {
  const metricColumns = columns.filter((column) => column.metric);
  const by = groupByInput(groupBy);
  const { data, previousData, loading, error, refetch } = useQuery(RunGroupsDocument, {
    variables: { projectId, filter: filter || null, groupBy: by, metrics: metricColumnsInput(metricColumns), orderBy },
    notifyOnNetworkStatusChange: true,
  });
  // While another grouping loads, the previous groups stay on screen.
  const result = (data ?? previousData)?.project?.runGroups;
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (key: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (!next.delete(key)) next.add(key);
      return next;
    });
  if (error && !result) return <ErrorNotice error={error} retry={() => void refetch()} />;
  if (!result) return <Loading what="groups" />;
  const runs = result.runCount.toLocaleString('en-GB');
  return (
    <>
      <p className="muted small" data-testid="group-count" data-run-count={result.runCount} aria-busy={loading}>
        {result.groupCount.toLocaleString('en-GB')} {result.groupCount === 1 ? 'group' : 'groups'} of {result.runCount === 1 ? 'the 1 run' : `all ${runs} runs`}
        {filter ? ' matching the filter' : ''}
        {result.truncated ? ` (the first ${result.groups.length.toLocaleString('en-GB')} shown)` : ''}; each metric as mean ± standard deviation and the 95 %
        interval of the mean.
      </p>
      <div style={{ overflowX: 'auto' }}>
        <table aria-label="Run groups" className="plain run-groups">
          <thead>
            <tr>
              <th scope="col">Group</th>
              <th scope="col" className="numeric">
                Runs
              </th>
              {metricColumns.map((column) => (
                <th key={column.id} scope="col" className="numeric">
                  {column.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {result.groups.map((group) => (
              <Fragment key={group.key}>
                <tr data-group={group.label}>
                  <th scope="row">
                    <button type="button" className="link" aria-expanded={open.has(group.key)} onClick={() => toggle(group.key)}>
                      {open.has(group.key) ? '▾' : '▸'} {group.label}
                    </button>
                  </th>
                  <td className="numeric">{group.runCount}</td>
                  {metricColumns.map((column, index) => {
                    const stats: ColumnStats = group.metrics[index] ?? { n: 0, mean: null, std: null, low: null, high: null };
                    return (
                      <td key={column.id} className="numeric" data-column-id={column.id}>
                        {meanText(stats, formatMetric)}
                        {stats.low !== null && <div className="muted small">{intervalText(stats, formatMetric)}</div>}
                      </td>
                    );
                  })}
                </tr>
                {open.has(group.key) && (
                  <GroupRuns
                    projectId={projectId}
                    filter={filter}
                    orderBy={orderBy}
                    group={{ by, key: group.key }}
                    label={group.label}
                    columns={metricColumns}
                  />
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

type GroupPage = RunGroupRunsQuery['runs'];

/** An expanded group's runs, a page at a time (in the table's sort), with a button for the next page. */
function GroupRuns({
  projectId,
  filter,
  orderBy,
  group,
  label,
  columns,
}: {
  projectId: string;
  filter: string;
  orderBy: RunOrder | null;
  group: RunGroupInput;
  label: string;
  columns: readonly RunColumn[];
}) {
  const client = useApolloClient();
  const [pages, setPages] = useState<readonly GroupPage[]>([]);
  const [status, setStatus] = useState<{ loading: boolean; error?: string }>({ loading: true });
  const variablesKey = JSON.stringify([projectId, filter, orderBy, group]);
  const load = useCallback(
    (after: string | null) => {
      setStatus({ loading: true });
      client
        .query({
          query: RunGroupRunsDocument,
          variables: { projectId, filter: filter || null, orderBy, group, first: GROUP_PAGE_SIZE, after },
          fetchPolicy: 'no-cache',
        })
        .then((answer) => {
          const page = answer.data?.runs;
          if (!page) throw new Error('The API returned no runs.');
          setPages((current) => (after === null ? [page] : [...current, page]));
          setStatus({ loading: false });
        })
        .catch((loadError: unknown) => setStatus({ loading: false, error: summarizeApiError(loadError).message }));
    },
    // The variables by value (objects are rebuilt on every render): a new grouping, filter or sort starts over.
    [client, variablesKey],
  );
  useEffect(() => load(null), [load]);
  const rows: RunsTableRowFragment[] = pages.flatMap((page) => page.nodes);
  const last = pages.at(-1);
  const span = columns.length + 2;
  return (
    <>
      {rows.map((row) => (
        <tr key={row.id} className="group-member" data-run-id={row.id}>
          <td>
            <Link href={`/runs/${row.id}`} prefetch={false}>
              {row.name}
            </Link>
          </td>
          <td />
          {columns.map((column) => {
            const value = column.value(row as RunRow);
            return (
              <td key={column.id} className="numeric">
                {typeof value === 'number' ? formatMetric(value) : (value ?? '')}
              </td>
            );
          })}
        </tr>
      ))}
      {(status.loading || status.error || last?.pageInfo.hasNextPage) && (
        <tr className="group-more">
          <td colSpan={span} className="muted small">
            {status.loading ? (
              <span role="status">Loading the runs of {label}…</span>
            ) : status.error ? (
              <span role="alert">
                Loading the runs failed: {status.error}{' '}
                <button type="button" className="link" onClick={() => load(last?.pageInfo.endCursor ?? null)}>
                  Retry
                </button>
              </span>
            ) : (
              <>
                {rows.length.toLocaleString('en-GB')} of {last!.totalCount.toLocaleString('en-GB')} runs shown.{' '}
                <button type="button" className="link" onClick={() => load(last!.pageInfo.endCursor)}>
                  Show {Math.min(GROUP_PAGE_SIZE, last!.totalCount - rows.length)} more of {label}
                </button>
              </>
            )}
          </td>
        </tr>
      )}
    </>
  );
}
