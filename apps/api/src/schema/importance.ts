import type { Resolvers } from '../generated/resolvers-types';
import { projectImportance } from '../services/importance';

export const typeDefs = /* GraphQL */ `
  """
  Which hyperparameters a metric depends on: a random forest fitted to the project's finished runs, each path's share of
  its out-of-bag permutation importance (shares sum to 1), with a bootstrap interval over configurations.
  """
  type HyperparameterImportance {
    "The metric ranked by: the one asked for, or by default the project's oldest finding's, else its first logged metric; null when none was logged."
    metric: String
    aggregate: MetricAggregate!
    "Every metric the project's runs logged (the script's own first, then system/…), for a metric picker."
    metricKeys: [String!]!
    "Why nothing is ranked (too few runs or configurations, nothing varies, nothing predicts the metric); null when ranked."
    refusal: String
    "Most important first; empty when refused."
    paths: [PathImportance!]!
    "Paths with one value in every run used."
    constantPaths: [String!]!
    "Finished runs (succeeded, diverged) with a finite value of the metric."
    runsAvailable: Int!
    "Runs ranked on: all available ones, or a seeded sample of maxRuns."
    runsUsed: Int!
    "Distinct configurations among them (runs that differ only by seed are one configuration)."
    configurations: Int!
    "Runs with the same configuration and seed as another, counted once."
    duplicatesMerged: Int!
    excludedMissing: Int!
    excludedNonFinite: Int!
    "Out-of-bag R² of the forest: how much of the metric's variance the paths explain together. Near 0 or below: do not trust the ranking."
    explainedVariance: Float
    minRuns: Int!
    minConfigurations: Int!
    maxRuns: Int!
    "Confidence level of the intervals (0.95)."
    level: Float!
  }

  type PathImportance {
    path: String!
    "0–1."
    share: Float!
    low: Float!
    high: Float!
    "linear, log (positive numbers spanning two decades or more) or categorical."
    scale: String!
    "The path names a seed: it should explain nothing."
    isSeed: Boolean!
    "Runs that do not set the path (unset counts as a value of its own)."
    missingRuns: Int!
  }

  extend type Project {
    """
    Hyperparameter importance for a metric of the project's runs (its LAST value unless aggregate says otherwise).
    Without a metric: the project's oldest finding's metric, else its first logged one. Needs 20 runs in 8 configurations.
    """
    importance(metric: String, aggregate: MetricAggregate): HyperparameterImportance!
  }
`;

export const resolvers: Resolvers = {
  Project: {
    importance: async (project, { metric, aggregate }, ctx) => {
      const result = await projectImportance(ctx, project, {
        key: metric ?? null,
        aggregate: aggregate ? (aggregate.toLowerCase() as 'last' | 'min' | 'max') : null,
      });
      const { limits, ...rest } = result;
      return {
        ...rest,
        aggregate: result.aggregate.toUpperCase() as 'LAST' | 'MIN' | 'MAX',
        minRuns: limits.minRuns,
        minConfigurations: limits.minConfigurations,
        maxRuns: limits.maxRuns,
        level: limits.level,
      };
    },
  },
};
