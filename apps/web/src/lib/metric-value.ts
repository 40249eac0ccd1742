// The API sends NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity" (scalar MetricValue).
export type MetricValue = number | 'NaN' | 'Infinity' | '-Infinity';

export function metricNumber(value: MetricValue | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  return value === 'Infinity' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}

/** Compact, readable numbers for tables and tooltips (3 significant digits, exponent when tiny or huge). */
export function formatMetric(value: number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? '∞' : '−∞';
  if (Number.isInteger(value) && Math.abs(value) < 1e7) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}
