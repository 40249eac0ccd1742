import type { Resolvers } from '../generated/resolvers-types';
import { MAX_SEARCH_HITS, MAX_SEARCH_TEXT, search } from '../services/search';

export const typeDefs = /* GraphQL */ `
  enum SearchHitKind {
    RUN
    PROJECT
    FINDING
  }

  "Something the search box found, with where it lives."
  type SearchHit {
    kind: SearchHitKind!
    id: ID!
    "The run's or project's name, or the finding's title."
    title: String!
    projectId: ID!
    projectName: String!
    teamName: String!
    "The run's or the finding's status, in lower case; null for a project."
    status: String
  }

  extend type Query {
    """
    Runs, projects and findings of all your teams whose name or title contains text (any case), runs tagged with
    it, or any of them by exact id; exact-id hits first, then the newest. text: 1 to ${MAX_SEARCH_TEXT} characters;
    first: at most ${MAX_SEARCH_HITS}.
    """
    search(text: String!, first: Int = 20): [SearchHit!]!
  }
`;

export const resolvers: Resolvers = {
  Query: {
    search: (_parent, { text, first }, ctx) => search(ctx, text, first ?? 20),
  },
  SearchHit: {
    kind: (hit) => hit.kind.toUpperCase() as 'RUN' | 'PROJECT' | 'FINDING',
    projectId: (hit) => hit.project_id,
    projectName: (hit) => hit.project_name,
    teamName: (hit) => hit.team_name,
  },
};
