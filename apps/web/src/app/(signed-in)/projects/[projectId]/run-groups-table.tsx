'use client';
// The runs table's grouped view: one row per group (count, mean ± std and 95 % interval of each metric column), each
// expandable into its runs. Drawn instead of the run grid while a grouping is chosen.
import Link from 'next/link';
import { Fragment, useMemo, useState } from 'react';
import { formatMetric } from '@/lib/metric-value';
import type { RunColumn, RunRow } from './runs-table-columns';
import { groupRows, intervalText, meanText, type TableGroupBy } from './runs-table-groups';

export function TableGroupByControl({
  groupBy,
  paths,
  onChange,
}: {
  groupBy: TableGroupBy;
  paths: readonly string[];
  onChange: (groupBy: TableGroupBy) => void;
}) {
  const value = groupBy === null ? '' : groupBy === 'seeds' ? 'seeds' : `path:${groupBy.path}`;
  return (
    <label>
      Group by{' '}
      <select
        aria-label="Group runs by"
        value={value}
        onChange={(e) => {
          const next = e.target.value;
          onChange(next === '' ? null : next === 'seeds' ? 'seeds' : { path: next.slice('path:'.length) });
        }}
      >
        <option value="">none</option>
        <option value="seeds">everything but seeds</option>
        {paths.map((path) => (
          <option key={path} value={`path:${path}`}>
            {path}
          </option>
        ))}
      </select>
    </label>
  );
}

export function RunGroupsTable({
  rows,
  columns,
  groupBy,
  totalCount,
}: {
  rows: readonly RunRow[];
  columns: readonly RunColumn[];
  groupBy: NonNullable<TableGroupBy>;
  totalCount: number;
}) {
  const metricColumns = columns.filter((column) => column.group === 'metric');
  const groups = useMemo(() => groupRows(rows, groupBy, columns), [rows, groupBy, columns]);
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (key: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (!next.delete(key)) next.add(key);
      return next;
    });
  return (
    <>
      <p className="muted small" data-testid="group-count">
        {groups.length} {groups.length === 1 ? 'group' : 'groups'} of {rows.length.toLocaleString('en-GB')}
        {rows.length < totalCount ? ` loaded of ${totalCount.toLocaleString('en-GB')}` : ''} runs; each metric as mean ± standard deviation and the 95 %
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
            {groups.map((group) => (
              <Fragment key={group.key}>
                <tr data-group={group.label}>
                  <th scope="row">
                    <button type="button" className="link" aria-expanded={open.has(group.key)} onClick={() => toggle(group.key)}>
                      {open.has(group.key) ? '▾' : '▸'} {group.label}
                    </button>
                  </th>
                  <td className="numeric">{group.rows.length}</td>
                  {metricColumns.map((column) => {
                    const stats = group.stats[column.id]!;
                    return (
                      <td key={column.id} className="numeric" data-column-id={column.id}>
                        {meanText(stats, formatMetric)}
                        {stats.low !== null && <div className="muted small">{intervalText(stats, formatMetric)}</div>}
                      </td>
                    );
                  })}
                </tr>
                {open.has(group.key) &&
                  group.rows.map((row) => (
                    <tr key={row.id} className="group-member" data-run-id={row.id}>
                      <td>
                        <Link href={`/runs/${row.id}`}>{row.name}</Link>
                      </td>
                      <td />
                      {metricColumns.map((column) => {
                        const value = column.value(row);
                        return (
                          <td key={column.id} className="numeric">
                            {typeof value === 'number' ? formatMetric(value) : (value ?? '')}
                          </td>
                        );
                      })}
                    </tr>
                  ))}
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
