import type { Resolvers } from '../generated/resolvers-types';
import { MAX_BAND_POINTS, MAX_BUCKETS, MAX_GROUP_KEYS, MAX_GROUP_PATHS, MAX_GROUP_RUNS, MAX_GROUPS, metricGroups } from '../services/metric-groups';

export const typeDefs = /* GraphQL */ `
  "What a grouped series is plotted against: steps, epochs (steps / the run's steps per epoch), or seconds since the run's first point."
  enum SeriesAlignment {
    STEP
    EPOCH
    WALL_TIME
  }

  "How to group runs: by the values of chosen hyperparameter paths, or by the whole configuration except its seed paths."
  input MetricGroupingInput {
    paths: [String!]
    allButSeeds: Boolean
  }

  """
  One metric of one group on the common x grid: parallel arrays, one element per bucket that a member reaches.
  Per bucket each run counts once, with the mean of its (downsampled) points there; std is the sample standard
  deviation across runs and low–high the Student-t 95 % interval of the mean (null with fewer than 2 runs).
  """
  type MetricGroupSeries {
    key: String!
    x: [Float!]!
    "Runs with a value at each x."
    count: [Int!]!
    mean: [Float!]!
    min: [Float!]!
    max: [Float!]!
    std: [Float]!
    low: [Float]!
    high: [Float]!
  }

  type MetricGroup {
    "Stable identity of the group."
    key: String!
    "What tells it apart, e.g. batchSize=32 (all runs when nothing does)."
    label: String!
    "The grouped paths and their values in this group."
    values: JSON!
    runIds: [ID!]!
    count: Int!
    series: [MetricGroupSeries!]!
  }

  type MetricGroups {
    alignment: SeriesAlignment!
    buckets: Int!
    groups: [MetricGroup!]!
  }

  extend type Query {
    """
    Runs of one project grouped by configuration, each group's metrics as a mean with min/max, std and 95 % interval
    along a common grid of \`buckets\` equal x buckets, computed from the downsampled series. Runs you may not read
    or of another project are left out. At most ${MAX_GROUP_RUNS} runs, ${MAX_GROUP_PATHS} paths, ${MAX_GROUP_KEYS}
    keys, ${MAX_GROUPS} groups, ${MAX_BUCKETS} buckets and ${MAX_BAND_POINTS.toLocaleString('en')} band points.
    """
    metricGroups(
      projectId: ID!
      runIds: [ID!]!
      groupBy: MetricGroupingInput!
      keys: [String!]
      alignment: SeriesAlignment = STEP
      buckets: Int = 200
    ): MetricGroups!
  }
`;

export const resolvers: Resolvers = {
  Query: {
    metricGroups: (_parent, args, ctx) => metricGroups(ctx, args),
  },
};
