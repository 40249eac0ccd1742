import { isMetricStep, MAX_METRIC_STEP, metricKeyProblem } from '@tuneboard/hparams';

/**
 * The metrics a command prints as JSON lines on stdout: `{"step": 10, "train/loss": 0.31, "lr": 3e-4}`.
 * A line is a metrics line when it is a JSON object whose values are all numbers; `step` (a whole number ≥ 0) is
 * optional and defaults to one after the last step. Python's `json.dumps` writes NaN and ±Infinity bare (not JSON);
 * they are read as those values. Any other line is only console output.
 */

export interface MetricsLine {
  step: number | undefined;
  values: Record<string, number>;
}

export type MetricsLineResult = { kind: 'metrics'; metrics: MetricsLine } | { kind: 'invalid'; message: string } | { kind: 'text' };

const NON_FINITE: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };
// Bare NaN/Infinity as a value (after ":" and before "," or "}"), quoted so JSON.parse takes them.
const BARE_NON_FINITE = /:\s*(NaN|-?Infinity)\s*(?=[,}])/g;

export function parseMetricsLine(line: string): MetricsLineResult {
  const text = line.trim();
  if (!text.startsWith('{') || !text.endsWith('}')) return { kind: 'text' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(BARE_NON_FINITE, ': "$1"'));
  } catch {
    return { kind: 'text' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { kind: 'text' };
  const values: Record<string, number> = {};
  let step: number | undefined;
  for (const [key, raw] of Object.entries(parsed)) {
    const value = typeof raw === 'string' && Object.hasOwn(NON_FINITE, raw) ? NON_FINITE[raw]! : raw;
    // A structured log line ({"event": "saved", "path": …}) is console output, not metrics.
    if (typeof value !== 'number') return { kind: 'text' };
    if (key === 'step') {
      if (!isMetricStep(value)) return { kind: 'invalid', message: `"step" must be a whole number from 0 to ${MAX_METRIC_STEP}, not ${value}` };
      step = value;
      continue;
    }
    const problem = metricKeyProblem(key);
    if (problem) return { kind: 'invalid', message: `the metric key ${JSON.stringify(key)} ${problem}` };
    values[key] = value;
  }
  if (Object.keys(values).length === 0) return { kind: 'text' };
  return { kind: 'metrics', metrics: { step, values } };
}
