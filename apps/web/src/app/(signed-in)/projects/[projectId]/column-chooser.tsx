'use client';
import { useMemo, useState } from 'react';
import type { RunColumn } from './runs-table-columns';

const GROUP_LABELS: Record<RunColumn['group'], string> = { run: 'Run', param: 'Hyperparameters', metric: 'Metrics' };

export function ColumnChooser({
  columns,
  visibleIds,
  onChange,
}: {
  columns: readonly RunColumn[];
  visibleIds: readonly string[];
  onChange: (ids: string[]) => void;
}) {
  const [search, setSearch] = useState('');
  const visible = useMemo(() => new Set(visibleIds), [visibleIds]);
  const matching = columns.filter((column) => column.label.toLowerCase().includes(search.toLowerCase()));
  const toggle = (id: string) => onChange(visible.has(id) ? visibleIds.filter((v) => v !== id) : [...visibleIds, id]);

  return (
    <details className="column-chooser">
      <summary>Columns ({visibleIds.length})</summary>
      <div className="popover">
        <input aria-label="Search columns" placeholder="Search columns" value={search} onChange={(e) => setSearch(e.target.value)} />
        {(['run', 'param', 'metric'] as const).map((group) => {
          const inGroup = matching.filter((column) => column.group === group);
          if (inGroup.length === 0) return null;
          return (
            <fieldset key={group}>
              <legend>{GROUP_LABELS[group]}</legend>
              {inGroup.map((column) => (
                <label key={column.id} className="check">
                  <input type="checkbox" checked={visible.has(column.id)} onChange={() => toggle(column.id)} />
                  {column.label}
                </label>
              ))}
            </fieldset>
          );
        })}
      </div>
    </details>
  );
}
