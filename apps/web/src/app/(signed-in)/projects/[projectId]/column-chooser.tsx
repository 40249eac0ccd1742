'use client';
import { useMemo, useState } from 'react';
import type { RunColumn } from './runs-table-columns';

const GROUP_LABELS: Record<RunColumn['group'], string> = { run: 'Run', param: 'Hyperparameters', metric: 'Metrics' };

/**
 * Which columns the runs table shows. A choice here is remembered for the project in this browser.
 * `sameIds`: columns whose value is the same for every loaded run (left out of the default view).
 */
export function ColumnChooser({
  columns,
  visibleIds,
  sameIds,
  onToggle,
  onReset,
}: {
  columns: readonly RunColumn[];
  visibleIds: readonly string[];
  sameIds: ReadonlySet<string>;
  onToggle: (id: string, visible: boolean) => void;
  /** Back to the project's default view; undefined when nothing was chosen. */
  onReset?: () => void;
}) {
  const [search, setSearch] = useState('');
  const visible = useMemo(() => new Set(visibleIds), [visibleIds]);
  const matching = columns.filter((column) => column.label.toLowerCase().includes(search.toLowerCase()));

  return (
    <details className="column-chooser">
      <summary>Columns ({visibleIds.length})</summary>
      <div className="popover">
        <div className="chooser-top">
          <input aria-label="Search columns" placeholder="Search columns" value={search} onChange={(e) => setSearch(e.target.value)} />
          {onReset && (
            <button type="button" className="link" onClick={onReset}>
              Reset to default
            </button>
          )}
        </div>
        {(['run', 'param', 'metric'] as const).map((group) => {
          const inGroup = matching.filter((column) => column.group === group);
          if (inGroup.length === 0) return null;
          return (
            <fieldset key={group}>
              <legend>{GROUP_LABELS[group]}</legend>
              {inGroup.map((column) => (
                <label key={column.id} className="check">
                  <input type="checkbox" checked={visible.has(column.id)} onChange={() => onToggle(column.id, !visible.has(column.id))} />
                  {column.label}
                  {sameIds.has(column.id) && <span className="muted small">same for every loaded run</span>}
                </label>
              ))}
            </fieldset>
          );
        })}
      </div>
    </details>
  );
}
