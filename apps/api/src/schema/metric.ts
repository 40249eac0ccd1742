import { appendMetrics, MetricBatchError, readMetricSeries, runs, type MetricColumns } from '@tuneboard/db';
import { eq } from 'drizzle-orm';
import { badUserInput, notFound } from '../errors';
import type { Resolvers } from '../generated/resolvers-types';
import { loadRun, readableRunIds } from '../services/access';
import type { RunEventMessage } from '../services/run-events';

export const typeDefs = /* GraphQL */ `
  "A run's latest, minimum and maximum of one metric (min/max over finite values)."
  type MetricSummary {
    key: String!
    pointCount: Int!
    "Points whose value is NaN or ±Infinity."
    nonFiniteCount: Int!
    firstStep: Int
    lastStep: Int
    last: MetricValue
    min: Float
    max: Float
  }

  "One metric of one run. steps, values and wallTimes are parallel arrays."
  type MetricSeries {
    run: Run!
    runId: ID!
    key: String!
    "Points stored in the whole series."
    pointCount: Int!
    "True when the points are a peak-preserving sample (per bucket: min, max and first NaN/±Infinity)."
    downsampled: Boolean!
    steps: [Int!]!
    values: [MetricValue!]!
    "Milliseconds since the epoch."
    wallTimes: [Float!]!
    points: [MetricPoint!]!
  }

  type MetricPoint {
    step: Int!
    value: MetricValue!
    wallTime: Float!
  }

  "One point; wallTime in milliseconds since the epoch (default: when the server received it)."
  input MetricPointInput {
    key: String!
    step: Int!
    value: MetricValue!
    wallTime: Float
  }

  "Many points of one metric as parallel arrays: compact for scripts that log in bulk."
  input MetricSeriesInput {
    key: String!
    steps: [Int!]!
    values: [MetricValue!]!
    wallTimes: [Float!]
  }

  type LogMetricsPayload {
    "Distinct (key, step) points stored or replaced by this call."
    accepted: Int!
    run: Run!
  }

  enum RunEventKind {
    STATUS_CHANGED
    METRICS_APPENDED
  }

  type RunEvent {
    kind: RunEventKind!
    "The run as it is now."
    run: Run!
    "For METRICS_APPENDED: the appended points per key (downsampled when the batch was large)."
    metrics: [MetricSeries!]!
  }

  extend type Query {
    "Series for many runs at once, each downsampled to at most maxPoints points (peaks kept)."
    metricSeries(runIds: [ID!]!, keys: [String!], maxPoints: Int = 1000): [MetricSeries!]!
  }

  extend type Mutation {
    """
    Stores a batch of metric points. Idempotent per (run, key, step): a retried or overlapping batch
    replaces those steps and never duplicates them. At most 1,000,000 points per call.
    """
    logMetrics(runId: ID!, points: [MetricPointInput!], series: [MetricSeriesInput!]): LogMetricsPayload!
  }

  extend type Subscription {
    "Status changes and appended metrics of one run, as they happen."
    runEvents(runId: ID!): RunEvent!
  }
`;

export const MAX_POINTS_PER_BATCH = 1_000_000;
const MAX_SERIES_PER_QUERY = 2_000;
const MAX_POINTS_PER_SERIES = 100_000;
/** Appended points sent to a live subscriber per event and key. */
const LIVE_POINTS = 2_000;

/** The two input shapes, as columns per key for the store. */
function toColumns(
  points: readonly { key: string; step: number; value: number; wallTime?: number | null }[] | null | undefined,
  series: readonly { key: string; steps: readonly number[]; values: readonly number[]; wallTimes?: readonly number[] | null }[] | null | undefined,
): MetricColumns[] {
  const columns: MetricColumns[] = [];
  if (points?.length) {
    const byKey = new Map<string, { key: string; steps: number[]; values: number[]; wallTimes: number[] }>();
    const now = Date.now();
    for (const point of points) {
      let target = byKey.get(point.key);
      if (!target) byKey.set(point.key, (target = { key: point.key, steps: [], values: [], wallTimes: [] }));
      target.steps.push(point.step);
      target.values.push(point.value);
      target.wallTimes.push(point.wallTime ?? now);
    }
    columns.push(...byKey.values());
  }
  for (const s of series ?? []) columns.push({ key: s.key, steps: s.steps, values: s.values, wallTimes: s.wallTimes ?? null });
  return columns;
}

function mapIterator<T, U>(source: AsyncIterableIterator<T>, map: (value: T) => U): AsyncIterableIterator<U> {
  return {
    async next() {
      const result = await source.next();
      return result.done ? { value: undefined, done: true } : { value: map(result.value), done: false };
    },
    return: async () => {
      await source.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

export const resolvers: Resolvers = {
  MetricSummary: {
    last: (summary) => summary.lastValue,
    min: (summary) => summary.minValue,
    max: (summary) => summary.maxValue,
  },
  MetricSeries: {
    run: async (series, _args, ctx) => (await ctx.loaders.run.load(series.runId))!,
    points: (series) => series.steps.map((step, i) => ({ step, value: series.values[i]!, wallTime: series.wallTimes[i]! })),
  },
  RunEvent: {
    // Read fresh on every event: a subscription lives long and per-request loader caches would go stale.
    run: async (event, _args, ctx) => {
      const [run] = await ctx.store.db.select().from(runs).where(eq(runs.id, event.runId));
      if (!run) throw notFound('Run', event.runId);
      return run;
    },
    metrics: (event, _args, ctx) =>
      event.kind === 'METRICS_APPENDED'
        ? readMetricSeries(ctx.store, {
            runIds: [event.runId],
            keys: event.keys.length > 0 ? event.keys : null,
            maxPoints: LIVE_POINTS,
            fromStep: event.fromStep,
            toStep: event.toStep,
          })
        : [],
  },
  Query: {
    metricSeries: async (_parent, { runIds, keys, maxPoints }, ctx) => {
      const limit = maxPoints ?? 1000;
      if (limit < 3 || limit > MAX_POINTS_PER_SERIES)
        throw badUserInput(`maxPoints must be between 3 and ${MAX_POINTS_PER_SERIES}`, [{ path: 'maxPoints', message: `must be 3–${MAX_POINTS_PER_SERIES}` }]);
      if (runIds.length * Math.max(1, keys?.length ?? 1) > MAX_SERIES_PER_QUERY)
        throw badUserInput(`At most ${MAX_SERIES_PER_QUERY} series per query; ask for fewer runs or keys`, [{ path: 'runIds', message: 'too many series' }]);
      // Runs the viewer cannot read are left out, exactly like runs that do not exist.
      const readable = await readableRunIds(ctx, runIds);
      if (readable.length === 0) return [];
      return readMetricSeries(ctx.store, { runIds: readable, keys: keys ?? null, maxPoints: limit });
    },
  },
  Mutation: {
    logMetrics: async (_parent, { runId, points, series }, ctx) => {
      const run = await loadRun(ctx, runId, 'write');
      const total = (points?.length ?? 0) + (series ?? []).reduce((sum, s) => sum + s.steps.length, 0);
      if (total > MAX_POINTS_PER_BATCH)
        throw badUserInput(`A metric batch holds at most ${MAX_POINTS_PER_BATCH.toLocaleString('en')} points; this one has ${total.toLocaleString('en')}. Split it into several calls.`, [
          { path: 'points', message: 'too many points' },
        ]);
      const columns = toColumns(points, series);
      let accepted;
      try {
        accepted = await appendMetrics(ctx.store, run.id, columns);
      } catch (error) {
        if (error instanceof MetricBatchError) throw badUserInput(error.message, [{ path: error.path, message: error.message }]);
        throw error;
      }
      if (accepted.points > 0) {
        let fromStep = Number.POSITIVE_INFINITY;
        let toStep = Number.NEGATIVE_INFINITY;
        for (const c of columns)
          for (let i = 0; i < c.steps.length; i++) {
            fromStep = Math.min(fromStep, c.steps[i]!);
            toStep = Math.max(toStep, c.steps[i]!);
          }
        await ctx.events.publish({ kind: 'METRICS_APPENDED', runId: run.id, keys: accepted.keys, fromStep, toStep });
      }
      return { accepted: accepted.points, run };
    },
  },
  Subscription: {
    runEvents: {
      // Check access before the first event, so a foreign or unknown run fails the subscription at once.
      subscribe: async (_parent, { runId }, ctx) => {
        await loadRun(ctx, runId, 'read');
        return mapIterator(ctx.events.subscribe(runId), (message: RunEventMessage) => ({ runEvents: message }));
      },
    },
  },
};
