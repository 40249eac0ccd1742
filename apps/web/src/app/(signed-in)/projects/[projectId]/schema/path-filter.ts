// From the schema page to the runs table: a filter that selects the runs having a path, and how a path's seen
// or declared values read (range or categories).
import { formatField, formatLiteral } from '@tuneboard/filter';
import { formatMetric } from '@/lib/metric-value';

export interface SchemaPathEntry {
  path: string;
  type: string;
  min?: number | null;
  max?: number | null;
  categories?: readonly string[] | null;
}

/**
 * A filter matching the runs that have the path, in the filter language: its whole range for a number, its
 * categories or any text for a string, either value for a boolean. Undefined for paths a filter cannot name
 * (null-typed ones, list items).
 */
export function pathFilter(entry: SchemaPathEntry): string | undefined {
  if (entry.path.includes('[]') || entry.type === 'null') return undefined;
  const field = formatField({ kind: 'param', path: entry.path });
  switch (entry.type) {
    case 'integer':
    case 'float':
      if (entry.min != null && entry.max != null) return `${field} >= ${formatLiteral(entry.min)} and ${field} <= ${formatLiteral(entry.max)}`;
      if (entry.min != null) return `${field} >= ${formatLiteral(entry.min)}`;
      if (entry.max != null) return `${field} <= ${formatLiteral(entry.max)}`;
      return undefined;
    case 'boolean':
      return `${field} = true or ${field} = false`;
    case 'string':
      return entry.categories && entry.categories.length > 0 ? `${field} in [${entry.categories.map(formatLiteral).join(', ')}]` : `${field} ~ ""`;
    default:
      return undefined;
  }
}

/** "0.0001 – 0.1" for numbers, the categories for strings, empty when nothing is known. */
export function valuesSummary(entry: SchemaPathEntry): string {
  if (entry.categories && entry.categories.length > 0) return entry.categories.join(', ');
  const show = (value: number) =>
    entry.type === 'float' && Number.isInteger(value) ? `${value}.0` : entry.type === 'integer' ? String(value) : formatMetric(value);
  if (entry.min != null && entry.max != null) return entry.min === entry.max ? show(entry.min) : `${show(entry.min)} – ${show(entry.max)}`;
  if (entry.min != null) return `≥ ${show(entry.min)}`;
  if (entry.max != null) return `≤ ${show(entry.max)}`;
  return '';
}
