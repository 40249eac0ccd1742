import { MAX_METRIC_STEP, metricKeyProblem } from '@tuneboard/hparams';

/**
 * A batch of metric points as callers send it, checked and put in the order the writer needs: no database here.
 */

/** Points of one metric in columns; `wallTimes` are milliseconds since the epoch (default: now). */
export interface MetricColumns {
  key: string;
  steps: ArrayLike<number>;
  values: ArrayLike<number>;
  wallTimes?: ArrayLike<number> | null | undefined;
}

/** A batch the caller got wrong; `path` names the offending element, e.g. `points[3].step`. */
export class MetricBatchError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'MetricBatchError';
  }
}

export function isFiniteValue(value: number): boolean {
  return Number.isFinite(value);
}

export interface SortedSeries {
  key: string;
  steps: Int32Array;
  values: Float64Array;
  wallTimes: Float64Array;
}

/**
 * Validates a batch and returns one step-sorted, step-unique series per key (the later duplicate wins).
 * The usual batch (one entry per key, steps already increasing) is copied straight into typed arrays; only
 * an unsorted batch, or one naming a key twice, pays for a sort.
 */
export function prepareBatch(batch: readonly MetricColumns[], now = Date.now()): SortedSeries[] {
  const byKey = new Map<string, { columns: MetricColumns; increasing: boolean }[]>();
  batch.forEach((columns, i) => {
    const increasing = validateColumns(columns, `metrics[${i}]`);
    const entries = byKey.get(columns.key);
    if (entries) entries.push({ columns, increasing });
    else byKey.set(columns.key, [{ columns, increasing }]);
  });
  const result: SortedSeries[] = [];
  for (const [key, entries] of byKey) {
    const total = entries.reduce((sum, e) => sum + e.columns.steps.length, 0);
    if (total === 0) continue;
    if (entries.length === 1 && entries[0]!.increasing) {
      const { steps, values, wallTimes } = entries[0]!.columns;
      result.push({
        key,
        steps: Int32Array.from(steps),
        values: Float64Array.from(values),
        wallTimes: wallTimes ? Float64Array.from(wallTimes) : new Float64Array(total).fill(now),
      });
    } else
      result.push(
        sortAndDeduplicate(
          key,
          entries.map((e) => e.columns),
          total,
          now,
        ),
      );
  }
  return result;
}

/** Throws a MetricBatchError naming the first bad element; returns whether the steps strictly increase. */
function validateColumns(columns: MetricColumns, where: string): boolean {
  const key = columns.key;
  const keyProblem = metricKeyProblem(key);
  if (keyProblem) throw new MetricBatchError(`${where}.key ${keyProblem}`, `${where}.key`);
  const { steps, values, wallTimes } = columns;
  if (steps.length !== values.length) throw new MetricBatchError(`${where} (${key}) has ${steps.length} steps but ${values.length} values`, where);
  if (wallTimes && wallTimes.length !== steps.length)
    throw new MetricBatchError(`${where} (${key}) has ${steps.length} steps but ${wallTimes.length} wall times`, where);
  let increasing = true;
  let previous = -1;
  for (let j = 0; j < steps.length; j++) {
    const step = steps[j]!;
    // Inline rather than isMetricStep: this loop runs once per ingested point.
    if (!(step >= 0 && step <= MAX_METRIC_STEP && Number.isInteger(step)))
      throw new MetricBatchError(`${where}.steps[${j}] (${key}) must be a whole number from 0 to ${MAX_METRIC_STEP}, got ${step}`, `${where}.steps[${j}]`);
    if (step <= previous) increasing = false;
    previous = step;
    if (typeof values[j] !== 'number') throw new MetricBatchError(`${where}.values[${j}] (${key}) must be a number`, `${where}.values[${j}]`);
    if (wallTimes && !Number.isFinite(wallTimes[j]))
      throw new MetricBatchError(`${where}.wallTimes[${j}] (${key}) must be a finite number of milliseconds`, `${where}.wallTimes[${j}]`);
  }
  return increasing;
}

function sortAndDeduplicate(key: string, parts: MetricColumns[], total: number, now: number): SortedSeries {
  const steps = new Int32Array(total);
  const values = new Float64Array(total);
  const wallTimes = new Float64Array(total);
  let n = 0;
  for (const part of parts)
    for (let j = 0; j < part.steps.length; j++, n++) {
      steps[n] = part.steps[j]!;
      values[n] = part.values[j]!;
      wallTimes[n] = part.wallTimes ? part.wallTimes[j]! : now;
    }
  // Stable sort, so among equal steps the later point comes last and wins below.
  const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => steps[a]! - steps[b]! || a - b);
  const unique = order.filter((index, position) => {
    const next = order[position + 1];
    return next === undefined || steps[next] !== steps[index];
  });
  return {
    key,
    steps: Int32Array.from(unique, (i) => steps[i]!),
    values: Float64Array.from(unique, (i) => values[i]!),
    wallTimes: Float64Array.from(unique, (i) => wallTimes[i]!),
  };
}
