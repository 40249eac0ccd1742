import { and, count, desc, eq, inArray, isNull } from 'drizzle-orm';
import { projectSchemas, projects, type HparamSchemaKind, type Project, type ProjectSchema } from '../schema/projects';
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

/**
 * Creates a project, or returns null when the team already has one of that name (names are unique per team,
 * case-insensitively). A declared project gets its schema as version 1 in the same transaction.
 */
export async function createProject(
  handle: Handle,
  values: { teamId: string; name: string; description: string; schemaKind?: HparamSchemaKind },
  declared?: { document: unknown; createdById: string | null },
): Promise<Project | null> {
  return handle.db.transaction(async (db) => {
    const [project] = await db.insert(projects).values(values).onConflictDoNothing().returning();
    if (project && declared) await db.insert(projectSchemas).values({ projectId: project.id, version: 1, ...declared });
    return project ?? null;
  });
}

/** The project's current declared schema (its highest version), or null when it never had one. */
export async function currentSchemaVersion(handle: Handle, projectId: string): Promise<ProjectSchema | null> {
  const [row] = await handle.db.select().from(projectSchemas).where(eq(projectSchemas.projectId, projectId)).orderBy(desc(projectSchemas.version)).limit(1);
  return row ?? null;
}

/** Every declared version of a project, newest first. */
export async function schemaVersionsOf(handle: Handle, projectId: string): Promise<ProjectSchema[]> {
  return handle.db.select().from(projectSchemas).where(eq(projectSchemas.projectId, projectId)).orderBy(desc(projectSchemas.version));
}

/**
 * Sets a project's schema kind and, when `document` is given and differs from the current version, adds it as the
 * next version — under a lock on the project row, so two concurrent edits get distinct versions. The project
 * (null when it is gone) and its current version afterwards.
 */
export async function setProjectSchema(
  handle: Handle,
  projectId: string,
  change: { kind: HparamSchemaKind; document?: unknown; createdById: string | null },
): Promise<{ project: Project; current: ProjectSchema | null; added: boolean } | null> {
  return handle.db.transaction(async (db) => {
    const [locked] = await db
      .select({ id: projects.id })
      .from(projects)
      .where(and(eq(projects.id, projectId), isNull(projects.deletedAt)))
      .for('update');
    if (!locked) return null;
    let current = await currentSchemaVersion({ ...handle, db }, projectId);
    let added = false;
    if (change.document !== undefined && (!current || !sameJson(current.document, change.document))) {
      const [inserted] = await db
        .insert(projectSchemas)
        .values({ projectId, version: (current?.version ?? 0) + 1, document: change.document, createdById: change.createdById })
        .returning();
      current = inserted!;
      added = true;
    }
    const [project] = await db.update(projects).set({ schemaKind: change.kind }).where(eq(projects.id, projectId)).returning();
    return { project: project!, current: current ?? null, added };
  });
}

/** Equal as JSON documents, whatever the order of keys (jsonb does not keep it). */
function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortedKeys(a)) === JSON.stringify(sortedKeys(b));
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([key, child]) => [key, sortedKeys(child)]));
}

/** How many live runs were validated against each declared version of the project (version → runs). */
export async function runsPerSchemaVersion(handle: Handle, projectId: string): Promise<Map<number, number>> {
  const rows = await handle.db
    .select({ version: runs.schemaVersion, n: count() })
    .from(runs)
    .where(and(eq(runs.projectId, projectId), isNull(runs.deletedAt)))
    .groupBy(runs.schemaVersion);
  return new Map(rows.flatMap((row) => (row.version === null ? [] : [[row.version, row.n] as const])));
}

export async function countRunsOfProject(handle: Handle, projectId: string): Promise<number> {
  const [row] = await handle.db
    .select({ n: count() })
    .from(runs)
    .where(and(eq(runs.projectId, projectId), isNull(runs.deletedAt)));
  return row?.n ?? 0;
}

/**
 * Inside a transaction: the project's inferred schema state, its row locked (FOR UPDATE) until the transaction
 * ends, so that everything that learns into it (submits, MLflow params) does so one after another. Null when the
 * project is gone.
 */
export async function lockInferredState(db: Pick<Handle['db'], 'select'>, projectId: string): Promise<{ inferredSchema: unknown } | null> {
  const [project] = await db
    .select({ inferredSchema: projects.inferredSchema })
    .from(projects)
    .where(and(eq(projects.id, projectId), isNull(projects.deletedAt)))
    .for('update');
  return project ?? null;
}
