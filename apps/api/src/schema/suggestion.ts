import type { Resolvers } from '../generated/resolvers-types';
import { dismissSuggestedFinding, projectFindingSuggestions } from '../services/suggestions';

export const typeDefs = /* GraphQL */ `
  """
  Findings Tuneboard proposes from a project's runs: single-path rules (thresholds on numbers, categories) whose
  satisfying configurations do better, tested on configuration means by permutation, also within each level of another
  path where the effect differs there (scoped), with the false discovery rate controlled across every candidate tested
  (Benjamini–Hochberg). Drafts only: nothing is stored.
  """
  type FindingSuggestions {
    metric: FindingMetric!
    "Why nothing could be tested (too few configurations); null otherwise."
    refusal: String
    "Best rule per path (and per scope for scoped rules), surest first."
    suggestions: [SuggestedFinding!]!
    "Candidate rules tested: the size of the multiple-testing correction."
    candidatesTested: Int!
    "Of those, rules tested within one level of another path (interactions)."
    scopedCandidatesTested: Int!
    configurations: Int!
    runsUsed: Int!
    "False discovery rate the suggestions are held to (0.05)."
    fdr: Float!
    "Smallest standardised effect (Cohen's d on configuration means) proposed."
    minEffectSize: Float!
    minConfigurationsPerSide: Int!
  }

  "A draft finding: createFinding with its rule, title and statement accepts it."
  type SuggestedFinding {
    rule: String!
    "The part of the project the rule is proposed for ('' for all of it): where another hyperparameter is held at one level."
    scope: String!
    path: String!
    title: String!
    statement: String!
    "Mean over satisfying configurations − mean over violating ones (within the scope), signed so that > 0 favours the rule."
    difference: Float!
    "For a scoped rule, the same difference outside the scope (< 0: the effect reverses there); null otherwise."
    outsideDifference: Float
    "Cohen's d; null when both sides are constant (no spread to measure it against)."
    effectSize: Float
    pValue: Float!
    "Benjamini–Hochberg adjusted p-value."
    qValue: Float!
    satisfying: SuggestionSide!
    violating: SuggestionSide!
  }

  type SuggestionSide {
    configurations: Int!
    runs: Int!
    mean: Float!
  }

  extend type Mutation {
    "Owners and members: stop suggesting this rule (in this scope) for this metric of the project (remembered)."
    dismissSuggestedFinding(projectId: ID!, metric: String!, rule: String!, scope: String): Boolean!
  }

  extend type Project {
    "Draft findings for a metric of the project's runs (not stored; needs 3 configurations on each side of a rule)."
    suggestedFindings(metric: FindingMetricInput!): FindingSuggestions!
  }
`;

const lower = <T extends string>(value: T) => value.toLowerCase() as Lowercase<T>;

export const resolvers: Resolvers = {
  Mutation: {
    dismissSuggestedFinding: (_parent, { projectId, metric, rule, scope }, ctx) => dismissSuggestedFinding(ctx, projectId, metric, rule, scope),
  },
  Project: {
    suggestedFindings: async (project, { metric }, ctx) => {
      const aggregate = lower(metric.aggregate ?? 'LAST');
      const result = await projectFindingSuggestions(ctx, project, { key: metric.key, aggregate, direction: lower(metric.direction) });
      return {
        ...result,
        metric: { key: metric.key.trim(), aggregate: metric.aggregate ?? 'LAST', direction: metric.direction },
        suggestions: result.suggestions.map((s) => ({ ...s, effectSize: Number.isFinite(s.effectSize) ? s.effectSize : null })),
        ...result.settings,
      };
    },
  },
};
