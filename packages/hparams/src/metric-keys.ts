// What a metric key and a metric step are, written once: the store refuses a batch that breaks these rules,
// the SDK checks them before it sends, and a finding names its metric by the same rules. Plain data and
// functions, so every package (the SDK too) can import them without the database.

/** The longest metric key, in UTF-16 code units (JavaScript's `length`). */
export const MAX_METRIC_KEY_LENGTH = 200;

/** Steps are PostgreSQL `integer`s that count up from 0: 0 to 2^31 − 1. */
export const MAX_METRIC_STEP = 2_147_483_647;

/**
 * Why `key` is not a metric key, as the end of a sentence that starts with what it names ("metrics[0].key …"),
 * or null when it is one. A key is any string with a non-blank character, at most MAX_METRIC_KEY_LENGTH long;
 * it is stored as given (not trimmed), so `loss` and `loss ` are two metrics.
 */
export function metricKeyProblem(key: unknown): string | null {
  if (typeof key !== 'string' || key.trim() === '') return 'must be a non-empty string';
  if (key.length > MAX_METRIC_KEY_LENGTH) return `is ${key.length} characters; the limit is ${MAX_METRIC_KEY_LENGTH}`;
  return null;
}

export const isMetricKey = (key: unknown): key is string => metricKeyProblem(key) === null;

/** Whether `step` is a whole number from 0 to MAX_METRIC_STEP. */
export const isMetricStep = (step: number): boolean => Number.isInteger(step) && step >= 0 && step <= MAX_METRIC_STEP;
