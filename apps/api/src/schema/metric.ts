import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { Resolvers } from '../generated/resolvers-types';
import { mapEvents } from '../services/events';
import { followRun, logMetrics, metricsOfEvent, readSeries, runOfEvent, type SeriesInput } from '../services/metrics';
import { PackedFloat64Array, PackedInt32Array } from './metric-scalars';

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
    logMetrics(runId: ID!, points: [MetricPointInput!], series: [MetricSeriesInput!], packed: [PackedMetricSeriesInput!], leaseToken: ID): LogMetricsPayload!
  }

  extend type Subscription {
    "Status changes and appended metrics of one run, as they happen."
    runEvents(runId: ID!): RunEvent!
  }
`;

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
    run: (event, _args, ctx) => runOfEvent(ctx, event),
    metrics: (event, _args, ctx) => metricsOfEvent(ctx, event),
  },
  Query: {
    // A compare chart plots steps and values: wall times are a third of the bytes, read only when asked for.
    metricSeries: (_parent, { runIds, keys, maxPoints }, ctx, info) =>
      readSeries(ctx, { runIds, keys, maxPoints, wallTimes: selects(info, ['wallTimes', 'points']) }),
  },
  Mutation: {
    logMetrics: (_parent, { runId, points, series, packed, leaseToken }, ctx) =>
      logMetrics(ctx, { runId, points, series: [...(series ?? []), ...((packed ?? []) as SeriesInput[])], leaseToken }),
  },
  Subscription: {
    runEvents: {
      // Access is checked before the first event, so a foreign or unknown run fails the subscription at once.
      subscribe: async (_parent, { runId }, ctx) => mapEvents(await followRun(ctx, runId), (message) => ({ runEvents: message })),
    },
  },
};
