import type { Resolvers } from '../generated/resolvers-types';
import { artifactPath, listArtifacts } from '../services/artifacts';

export const typeDefs = /* GraphQL */ `
  "A file or directory a run logged (a model, a plot, a checkpoint), as kept in the artifact store."
  type Artifact {
    "Relative to the run's artifact root, '/'-separated (e.g. model/weights.bin)."
    path: String!
    isDir: Boolean!
    "Bytes, for a file; null for a directory."
    size: Float
  }

  extend type Run {
    """
    One directory level of the run's artifacts, sorted by path: \`path\` is a directory relative to the run's root
    (absent or empty: the root); empty when nothing is there. Download a file with GET /api/runs/<run id>/artifacts/<path>
    (or MLflow's /api/2.0/mlflow-artifacts/artifacts/<project id>/<run id>/artifacts/<path>), with the token.
    """
    artifacts(path: String): [Artifact!]!
  }
`;

export const resolvers: Resolvers = {
  Run: {
    artifacts: (run, { path }, ctx) => listArtifacts(ctx, { runId: run.id }, artifactPath(path ?? '', { allowEmpty: true })),
  },
};
