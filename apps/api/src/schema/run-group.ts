import type { Resolvers } from '../generated/resolvers-types';
import { MAX_GROUP_PATHS } from '../services/run-listing';
import { MAX_GROUP_METRICS, MAX_RUN_GROUPS, runGroups } from '../services/run-groups';

export const typeDefs = /* GraphQL */ `
  """
  How runs are grouped: by the values of some hyperparameter paths (1 to ${MAX_GROUP_PATHS}), or with allButSeeds by
  their whole configuration except the seed paths (seed, data.seed, random_seed, initSeed, …): the replicates of one
  configuration. Give exactly one of the two.
  """
  input RunGroupByInput {
    paths: [String!]
    allButSeeds: Boolean
  }

  "One group of runGroups, to list its runs: the grouping and the group's key."
  input RunGroupInput {
    by: RunGroupByInput!
    key: String!
  }

  "A metric column of the runs table: the metric's key and which of its summaries (latest, minimum or maximum)."
  input RunMetricColumnInput {
    key: String!
    aggregate: MetricAggregate!
  }

  "The groups of every run matching a filter."
  type RunGroups {
    "What tells the groups apart: the paths asked for, or (allButSeeds) the non-seed paths whose values differ among the runs."
    paths: [String!]!
    "Runs matching the filter; every one is in exactly one group."
    runCount: Int!
    "Groups in all, including those past the cap."
    groupCount: Int!
    "True when there are more groups than were returned (first, at most ${MAX_RUN_GROUPS})."
    truncated: Boolean!
    groups: [RunGroup!]!
  }

  type RunGroup {
    "Stable identity of the group; list its runs with runs(group: { by, key })."
    key: String!
    "e.g. batchSize=32, optimizer.learningRate=0.1; 'all runs' when nothing tells the runs apart."
    label: String!
    "Each of paths with its value in this group (null where the runs lack the path)."
    values: JSON!
    runCount: Int!
    "One per metric column asked for, in the order asked."
    metrics: [RunGroupMetric!]!
  }

  """
  A metric summary over a group's runs with a finite value (n of them): mean, sample standard deviation and the
  Student-t 95 % interval of the mean (null below 2 runs) — the statistics of compare's bands.
  """
  type RunGroupMetric {
    key: String!
    aggregate: MetricAggregate!
    n: Int!
    mean: Float
    std: Float
    low: Float
    high: Float
  }

  extend type Project {
    """
    The project's runs matching filter (the runs table's language), grouped by groupBy, with the summary statistics of
    each metric column. Groups follow orderBy when it is a metric (by the group's mean, groups without it last), else
    their values in path order. At most first (1 to ${MAX_RUN_GROUPS}) groups; truncated says when there were more.
    metrics: at most ${MAX_GROUP_METRICS}.
    """
    runGroups(filter: String, groupBy: RunGroupByInput!, metrics: [RunMetricColumnInput!], orderBy: RunOrder, first: Int = ${MAX_RUN_GROUPS}): RunGroups!
  }
`;

export const resolvers: Resolvers = {
  Project: {
    runGroups: (project, { filter, groupBy, metrics, orderBy, first }, ctx) => runGroups(ctx, project.id, { filter, groupBy, metrics, orderBy, first }),
  },
};
