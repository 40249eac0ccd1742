/** The last expensive resolution of each operation, by its context. */
const lastOfOperation = new WeakMap<object, Promise<unknown>>();

/**
 * Runs the expensive fields of one operation (evidence, metricSeries, totalCount) one after another, each after
 * the event loop has served what is waiting: ten aliased evidences then hold the database (and, on the embedded
 * store, the only thread) one at a time, and other requests get their turn between them instead of queueing
 * behind all ten.
 */
export function oneAtATime<T>(ctx: object, work: () => Promise<T>): Promise<T> {
  const previous = lastOfOperation.get(ctx) ?? Promise.resolve();
  const next = previous
    .catch(() => {})
    .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
    .then(work);
  lastOfOperation.set(ctx, next);
  return next;
}
