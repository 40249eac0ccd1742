import { and, count, eq, inArray, isNull } from 'drizzle-orm';
import { projects, type Project } from '../schema/projects';
import { runs } from '../schema/runs';
import type { Handle } from './handle';

/** Projects: the live (not soft-deleted) projects of a team. */

export async function projectsByIds(handle: Handle, ids: readonly string[]): Promise<Project[]> {
  if (ids.length === 0) return [];
  return handle.db
    .select()
    .from(projects)
    .where(and(inArray(projects.id, [...ids]), isNull(projects.deletedAt)));
}

/** The projects of these teams, by name. */
export async function projectsOfTeams(handle: Handle, teamIds: readonly string[]): Promise<Project[]> {
  if (teamIds.length === 0) return [];
  return handle.db
    .select()
    .from(projects)
    .where(and(inArray(projects.teamId, [...teamIds]), isNull(projects.deletedAt)))
    .orderBy(projects.name);
}

/** Creates a project, or returns null when the team already has one of that name (names are unique per team, case-insensitively). */
export async function createProject(handle: Handle, values: { teamId: string; name: string; description: string }): Promise<Project | null> {
  const [project] = await handle.db.insert(projects).values(values).onConflictDoNothing().returning();
  return project ?? null;
}

export async function countRunsOfProject(handle: Handle, projectId: string): Promise<number> {
  const [row] = await handle.db
    .select({ n: count() })
    .from(runs)
    .where(and(eq(runs.projectId, projectId), isNull(runs.deletedAt)));
  return row?.n ?? 0;
}
