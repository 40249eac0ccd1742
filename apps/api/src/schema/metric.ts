import { appendMetrics, MetricBatchError, MetricReadTooLargeError, readMetricSeries, RunHeldError, runs, type MetricColumns } from '@tuneboard/db';
import { eq } from 'drizzle-orm';
import { GraphQLError, GraphQLScalarType, Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { endianness } from 'node:os';
import { badUserInput, conflict, notFound } from '../services/errors';
import type { Resolvers } from '../generated/resolvers-types';
import { loadRun, readableRunIds } from '../services/access';
import { oneAtATime } from '../services/fairness';
import { mapEvents, runTopic, type RunEventMessage } from '../services/events';

/**
 * Packed numeric arrays: the fast ingestion path. A million points as JSON numbers cost graphql-js a
 * coercion per element (about 1 µs each); as one base64 string per column they cost one decode. The bytes
 * are the machine's own typed-array layout, so decoding is a copy on every little-endian host (all the
 * platforms Node runs Tuneboard on); a big-endian host would need a byte swap, which we refuse to guess.
 */
if (endianness() !== 'LE') throw new Error('Packed metric arrays assume a little-endian host');

function packedScalar<T extends Int32Array | Float64Array>(
  name: string,
  description: string,
  make: (buffer: ArrayBuffer, byteOffset: number, length: number) => T,
  width: number,
) {
  const decode = (value: unknown): T => {
    const invalid = () => new GraphQLError(`${name} must be a base64 string (standard alphabet, padded)`, { extensions: { code: 'BAD_USER_INPUT' } });
    if (typeof value !== 'string' || value.length % 4 !== 0) throw invalid();
    const bytes = Buffer.from(value, 'base64');
    // Node's decoder skips characters outside the alphabet, so a string with any comes out short: checking the
    // length catches them at no cost (a regular expression over the string was the largest CPU cost of ingestion).
    const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
    if (bytes.length !== (value.length / 4) * 3 - padding) throw invalid();
    if (bytes.length % width !== 0)
      throw new GraphQLError(`${name} decodes to ${bytes.length} bytes, not a multiple of ${width}`, { extensions: { code: 'BAD_USER_INPUT' } });
    // A typed array must start at a multiple of its element size. Large decodes get a buffer of their own
    // (offset 0) and are used in place; a small one from Node's shared pool may start anywhere and is copied.
    const buffer = bytes.buffer as ArrayBuffer;
    if (bytes.byteOffset % width === 0) return make(buffer, bytes.byteOffset, bytes.length / width);
    return make(buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length), 0, bytes.length / width);
  };
  return new GraphQLScalarType({
    name,
    description,
    serialize: (value) => Buffer.from((value as T).buffer, (value as T).byteOffset, (value as T).byteLength).toString('base64'),
    parseValue: decode,
    parseLiteral: (ast) => {
      if (ast.kind !== Kind.STRING) throw new GraphQLError(`${name} must be a base64 string`);
      return decode(ast.value);
    },
  });
}

export const PackedInt32Array = packedScalar(
  'PackedInt32Array',
  'Whole numbers packed as base64 (RFC 4648, standard alphabet, padded) of consecutive 32-bit signed little-endian integers, 4 bytes each.',
  (buffer, offset, length) => new Int32Array(buffer, offset, length),
  4,
);
export const PackedFloat64Array = packedScalar(
  'PackedFloat64Array',
  'Numbers packed as base64 (RFC 4648, standard alphabet, padded) of consecutive IEEE 754 64-bit little-endian floats, 8 bytes each. NaN and ±Infinity are ordinary values here.',
  (buffer, offset, length) => new Float64Array(buffer, offset, length),
  8,
);

export const typeDefs = /* GraphQL */ `
  scalar PackedInt32Array
  scalar PackedFloat64Array

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

  """
  Many points of one metric in binary columns: the fast path for SDKs and trainers (millions of points per
  second). steps, values and the optional wallTimes hold the same number of elements; element i of each is
  one point. In Python: base64.b64encode(numpy.asarray(steps, '<i4').tobytes()) and
  base64.b64encode(numpy.asarray(values, '<f8').tobytes()); in JavaScript:
  Buffer.from(new Int32Array(steps).buffer).toString('base64') and the same with a Float64Array.
  Steps are 0 to 2147483647; values may be NaN or ±Infinity; wallTimes are milliseconds since the epoch.
  """
  input PackedMetricSeriesInput {
    key: String!
    steps: PackedInt32Array!
    values: PackedFloat64Array!
    wallTimes: PackedFloat64Array
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
    """
    Series for many runs at once, each downsampled to at most maxPoints points (peaks kept). At most 2,000
    series, and series × maxPoints at most 2,000,000 (e.g. 200 series of 10,000 points).
    """
    metricSeries(runIds: [ID!]!, keys: [String!], maxPoints: Int = 1000): [MetricSeries!]!
  }

  extend type Mutation {
    """
    Stores a batch of metric points, given in any mix of the three shapes: points (one object each, for
    hand-written calls), series (parallel JSON arrays) and packed (binary columns, the fast path that SDKs
    use). Idempotent per (run, key, step): a retried or overlapping batch replaces those steps and never
    duplicates them. At most 1,000,000 points per call and a 64 MB request body. A worker passes its
    leaseToken: once its lease is lost (the run went to another worker) its late batches are refused.
    """
    logMetrics(
      runId: ID!
      points: [MetricPointInput!]
      series: [MetricSeriesInput!]
      packed: [PackedMetricSeriesInput!]
      leaseToken: ID
    ): LogMetricsPayload!
  }

  extend type Subscription {
    "Status changes and appended metrics of one run, as they happen."
    runEvents(runId: ID!): RunEvent!
  }
`;

export const MAX_POINTS_PER_BATCH = 1_000_000;
const MAX_SERIES_PER_QUERY = 2_000;
const MAX_POINTS_PER_SERIES = 100_000;
/**
 * Series × maxPoints per operation, however many metricSeries fields (aliases) it has: what bounds the memory one
 * request can take (~50 bytes a point).
 */
const MAX_POINTS_PER_QUERY = 2_000_000;
/** Points (series × maxPoints) the metricSeries fields of an operation have read so far, by its context. */
const pointsRead = new WeakMap<object, number>();
/** Appended points sent to a live subscriber per event and key. */
const LIVE_POINTS = 2_000;

type SeriesInput = { key: string; steps: ArrayLike<number>; values: ArrayLike<number>; wallTimes?: ArrayLike<number> | null };

/** The three input shapes, as columns per key for the store. */
function toColumns(
  points: readonly { key: string; step: number; value: number; wallTime?: number | null }[] | null | undefined,
  series: readonly SeriesInput[],
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
  for (const s of series) columns.push({ key: s.key, steps: s.steps, values: s.values, wallTimes: s.wallTimes ?? null });
  return columns;
}

/** Whether the query selects one of `fields` on the objects this field returns (through fragments too). */
function selects(info: GraphQLResolveInfo, fields: readonly string[]): boolean {
  const visit = (set: SelectionSetNode | undefined): boolean =>
    set?.selections.some((selection) => {
      if (selection.kind === Kind.FIELD) return fields.includes(selection.name.value);
      if (selection.kind === Kind.INLINE_FRAGMENT) return visit(selection.selectionSet);
      return visit(info.fragments[selection.name.value]?.selectionSet);
    }) ?? false;
  return info.fieldNodes.some((node) => visit(node.selectionSet));
}

export const resolvers: Resolvers = {
  PackedInt32Array,
  PackedFloat64Array,
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
    metricSeries: async (_parent, { runIds, keys, maxPoints }, ctx, info) => {
      const limit = maxPoints ?? 1000;
      if (limit < 3 || limit > MAX_POINTS_PER_SERIES)
        throw badUserInput(`maxPoints must be between 3 and ${MAX_POINTS_PER_SERIES}`, [{ path: 'maxPoints', message: `must be 3–${MAX_POINTS_PER_SERIES}` }]);
      if (runIds.length * Math.max(1, keys?.length ?? 1) > MAX_SERIES_PER_QUERY)
        throw badUserInput(`At most ${MAX_SERIES_PER_QUERY} series per query; ask for fewer runs or keys`, [{ path: 'runIds', message: 'too many series' }]);
      // Runs the viewer cannot read are left out, exactly like runs that do not exist.
      const readable = await readableRunIds(ctx, runIds);
      if (readable.length === 0) return [];
      // A compare chart plots steps and values: wall times are a third of the bytes, read only when asked for.
      const wallTimes = selects(info, ['wallTimes', 'points']);
      // Aliases read one after another, each within what the earlier ones left of the budget.
      const read = oneAtATime(ctx, async () => {
        const budget = MAX_POINTS_PER_QUERY - (pointsRead.get(ctx) ?? 0);
        const series = await readMetricSeries(ctx.store, { runIds: readable, keys: keys ?? null, maxPoints: limit, wallTimes, maxTotalPoints: budget });
        pointsRead.set(ctx, (pointsRead.get(ctx) ?? 0) + series.length * limit);
        return series;
      });
      try {
        return await read;
      } catch (error) {
        if (error instanceof MetricReadTooLargeError)
          throw badUserInput(`${error.message} (a request reads at most ${MAX_POINTS_PER_QUERY.toLocaleString('en')} points, all its metricSeries fields together)`, [
            { path: 'maxPoints', message: 'too many points for one query' },
          ]);
        throw error;
      }
    },
  },
  Mutation: {
    logMetrics: async (_parent, { runId, points, series, packed, leaseToken }, ctx) => {
      const run = await loadRun(ctx, runId, 'write');
      const allSeries: SeriesInput[] = [...(series ?? []), ...((packed ?? []) as SeriesInput[])];
      const total = (points?.length ?? 0) + allSeries.reduce((sum, s) => sum + s.steps.length, 0);
      if (total > MAX_POINTS_PER_BATCH)
        throw badUserInput(`A metric batch holds at most ${MAX_POINTS_PER_BATCH.toLocaleString('en')} points; this one has ${total.toLocaleString('en')}. Split it into several calls.`, [
          { path: 'points', message: 'too many points' },
        ]);
      const columns = toColumns(points, allSeries);
      let accepted;
      try {
        // A run a worker holds takes points only through its lease (checked in the batch's transaction).
        accepted = await appendMetrics(ctx.store, run.id, columns, { leaseToken: leaseToken ?? null });
      } catch (error) {
        if (error instanceof MetricBatchError) throw badUserInput(error.message, [{ path: error.path, message: error.message }]);
        if (error instanceof RunHeldError) throw conflict(error.message);
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
        // Events are published under the stored (lower-case) id, whatever case the client wrote.
        const run = await loadRun(ctx, runId, 'read');
        return mapEvents(ctx.events.subscribe<RunEventMessage>(runTopic(run.id)), (message) => ({ runEvents: message }));
      },
    },
  },
};
