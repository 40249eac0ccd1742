import type { HparamSchemaKind } from '@tuneboard/db';
import type { HparamSchemaKind as GraphQLHparamSchemaKind, Resolvers } from '../generated/resolvers-types';
import { loadProject } from '../services/access';
import { hparamSchemaOf, promoteInferredSchema, schemaVersionHistory, setProjectSchema } from '../services/hparam-schemas';
import { countRuns, createProject, listProjects } from '../services/projects';
import { listRuns } from '../services/run-listing';

export const typeDefs = /* GraphQL */ `
  "A project (an MLflow experiment): the runs of one modelling question."
  type Project {
    id: ID!
    team: Team!
    name: String!
    description: String!
    createdAt: DateTime!
    runCount: Int!
    runs(filter: String, orderBy: RunOrder, first: Int = 50, after: String, ids: [ID!], group: RunGroupInput): RunConnection!
    "The hyperparameter schema its runs follow, and the typed paths it gives filters, columns and findings."
    hparamSchema: HparamSchema!
    "Every declared JSON Schema version, newest first (empty unless the project has been DECLARED)."
    hparamSchemaVersions: [HparamSchemaVersion!]!
  }

  type HparamSchemaVersion {
    version: Int!
    document: JSON!
    createdAt: DateTime!
    createdBy: User
    "Runs validated against this version (they stay valid when a later version changes the schema)."
    runs: Int!
  }

  """
  BUILTIN: the built-in trainer's configuration (the only kind Tuneboard's workers train). DECLARED: a versioned
  JSON Schema (draft 2020-12) the team writes. INFERRED: any JSON config, each path's type learned from the runs.
  """
  enum HparamSchemaKind {
    BUILTIN
    DECLARED
    INFERRED
  }

  type HparamSchema {
    kind: HparamSchemaKind!
    "The current declared version (runs record the version they were validated against); null unless DECLARED."
    version: Int
    "The current JSON Schema document; null unless DECLARED."
    document: JSON
    "Every hyperparameter path, the same shape for every kind. List indices are written [] in declared and built-in paths."
    paths: [HparamPath!]!
  }

  type HparamPath {
    path: String!
    "integer, float, boolean, string or null."
    type: String!
    "Runs that have this path (as learned from the runs); null for the built-in schema."
    runs: Int
    "Declared bounds, or the smallest and largest value seen for an inferred path."
    min: Float
    max: Float
    "Allowed values (declared enum, built-in choices) or, for an inferred path, the strings seen (up to 20)."
    categories: [String!]
    description: String
    unit: String
    "How charts draw the axis: log or linear (x-scale)."
    scale: String
  }

  extend type Query {
    "Projects of the viewer's teams (or of one team)."
    projects(teamId: ID): [Project!]!
    project(id: ID!): Project
  }

  extend type Mutation {
    "A new project; its schema is BUILTIN unless schemaKind says otherwise (DECLARED needs the JSON Schema in schema)."
    createProject(teamId: ID!, name: String!, description: String, schemaKind: HparamSchemaKind = BUILTIN, schema: JSON): Project!
    "Owners and members: switches the schema kind; a changed DECLARED document becomes a new version (stored runs keep theirs)."
    setProjectSchema(projectId: ID!, kind: HparamSchemaKind!, schema: JSON): Project!
    "Makes an INFERRED project DECLARED with a JSON Schema written from the types its runs taught it."
    promoteInferredSchema(projectId: ID!): Project!
  }
`;

export const resolvers: Resolvers = {
  Query: {
    projects: (_parent, { teamId }, ctx) => listProjects(ctx, teamId),
    project: (_parent, { id }, ctx) => loadProject(ctx, id, 'read'),
  },
  Project: {
    team: async (project, _args, ctx) => (await ctx.loaders.team.load(project.teamId))!,
    runCount: (project, _args, ctx) => countRuns(ctx, project.id),
    runs: (project, args, ctx) => listRuns(ctx, project.id, args),
    hparamSchema: async (project, _args, ctx) => {
      const view = await hparamSchemaOf(ctx, project);
      return { ...view, kind: toGraphQLKind(view.kind), paths: view.paths.map((p) => ({ ...p, categories: p.categories ? [...p.categories] : null })) };
    },
    hparamSchemaVersions: (project, _args, ctx) => schemaVersionHistory(ctx, project),
  },
  HparamSchemaVersion: {
    version: ({ version }) => version.version,
    document: ({ version }) => version.document,
    createdAt: ({ version }) => version.createdAt,
    createdBy: ({ version }, _args, ctx) => (version.createdById ? ctx.loaders.user.load(version.createdById) : null),
  },
  Mutation: {
    createProject: (_parent, { teamId, name, description, schemaKind, schema }, ctx) =>
      createProject(ctx, { teamId, name, description, kind: schemaKind ? fromGraphQLKind(schemaKind) : null, document: schema }),
    setProjectSchema: (_parent, { projectId, kind, schema }, ctx) => setProjectSchema(ctx, projectId, { kind: fromGraphQLKind(kind), document: schema }),
    promoteInferredSchema: (_parent, { projectId }, ctx) => promoteInferredSchema(ctx, projectId),
  },
};

const toGraphQLKind = (kind: HparamSchemaKind) => kind.toUpperCase() as GraphQLHparamSchemaKind;
const fromGraphQLKind = (kind: GraphQLHparamSchemaKind) => kind.toLowerCase() as HparamSchemaKind;
