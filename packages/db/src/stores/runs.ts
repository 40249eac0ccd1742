import { and, eq, inArray, isNull } from 'drizzle-orm';
import { projects } from '../schema/projects';
import { runs, type Run } from '../schema/runs';
import type { Handle } from './handle';

/** Runs: live (not soft-deleted) runs of live projects. */

export async function runsByIds(handle: Handle, ids: readonly string[]): Promise<Run[]> {
  if (ids.length === 0) return [];
  return handle.db
    .select()
    .from(runs)
    .where(and(inArray(runs.id, [...ids]), isNull(runs.deletedAt)));
}

/** The team each run belongs to (through its project), for access checks on many runs at once. */
export async function teamsOfRuns(handle: Handle, ids: readonly string[]): Promise<{ runId: string; teamId: string }[]> {
  if (ids.length === 0) return [];
  return handle.db
    .select({ runId: runs.id, teamId: projects.teamId })
    .from(runs)
    .innerJoin(projects, eq(projects.id, runs.projectId))
    .where(and(inArray(runs.id, [...ids]), isNull(runs.deletedAt), isNull(projects.deletedAt)));
}

/** A live run with its team, or null. */
export async function runWithTeam(handle: Handle, id: string): Promise<{ run: Run; teamId: string } | null> {
  const [row] = await handle.db
    .select({ run: runs, teamId: projects.teamId })
    .from(runs)
    .innerJoin(projects, eq(projects.id, runs.projectId))
    .where(and(eq(runs.id, id), isNull(runs.deletedAt), isNull(projects.deletedAt)));
  return row ?? null;
}
