import type { TestUser } from './harness';

// What the importer tests read back: a project's runs as the dashboard lists them, and a project by name.

export const IMPORTED_RUNS = /* GraphQL */ `
  query ($p: ID!, $f: String) {
    runs(projectId: $p, filter: $f, first: 100, orderBy: { field: NAME, direction: ASC }) {
      totalCount
      edges {
        node {
          id
          name
          status
          error
          tags
          notes
          params
          paramTypes
          metrics {
            key
            last
            pointCount
          }
        }
      }
    }
  }
`;

/** The id of the user's project of that name, or undefined. */
export async function projectIdNamed(user: TestUser, name: string): Promise<string | undefined> {
  const { projects } = await user.ok<{ projects: { id: string; name: string }[] }>(`query { projects { id name } }`);
  return projects.find((p) => p.name === name)?.id;
}
