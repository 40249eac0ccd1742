import { projects, runs, type Role } from '@tuneboard/db';
import { and, eq, isNull } from 'drizzle-orm';
import type { Context } from '../context';
import { forbidden, notFound, unauthenticated } from '../errors';
import type { Viewer } from './accounts';

/**
 * Every read and write is scoped to the viewer's teams. Something in another team is reported exactly like
 * something that does not exist (NOT_FOUND), so ids cannot be probed across teams.
 */

export type Access = 'read' | 'write' | 'admin';

const ALLOWED: Record<Access, readonly Role[]> = {
  read: ['owner', 'member', 'viewer'],
  write: ['owner', 'member'],
  admin: ['owner'],
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (id: string) => UUID.test(id);
/**
 * Ids are UUIDs, which PostgreSQL reads in any case but returns in lower case. Ids a client sends are
 * lowered where they are checked, so loaders, maps and event topics, all keyed by the stored form, agree.
 */
export const canonicalId = (id: string) => id.toLowerCase();

export function requireViewer(ctx: Pick<Context, 'viewer'>): Viewer {
  if (!ctx.viewer) throw unauthenticated();
  return ctx.viewer;
}

/** Throws NOT_FOUND when the viewer is not in the team, FORBIDDEN when their role is too weak. */
export function requireTeam(ctx: Pick<Context, 'viewer'>, teamId: string, access: Access, what: string, id: string): Role {
  const role = requireViewer(ctx).roles.get(canonicalId(teamId));
  if (!role) throw notFound(what, id);
  if (!ALLOWED[access].includes(role))
    throw forbidden(`Your role in this team is ${role}; ${access === 'admin' ? 'only an owner' : 'an owner or member'} can do this`);
  return role;
}

export async function loadProject(ctx: Context, projectId: string, access: Access) {
  requireViewer(ctx);
  if (!isUuid(projectId)) throw notFound('Project', projectId);
  const project = await ctx.loaders.project.load(canonicalId(projectId));
  if (!project) throw notFound('Project', projectId);
  requireTeam(ctx, project.teamId, access, 'Project', projectId);
  return project;
}

export async function loadRun(ctx: Context, runId: string, access: Access) {
  requireViewer(ctx);
  if (!isUuid(runId)) throw notFound('Run', runId);
  const [row] = await ctx.store.db
    .select({ run: runs, teamId: projects.teamId })
    .from(runs)
    .innerJoin(projects, eq(projects.id, runs.projectId))
    .where(and(eq(runs.id, runId), isNull(runs.deletedAt), isNull(projects.deletedAt)));
  if (!row) throw notFound('Run', runId);
  requireTeam(ctx, row.teamId, access, 'Run', runId);
  return row.run;
}

/** Of the given run ids, those the viewer may read (order kept, unknown and foreign ids dropped). */
export async function readableRunIds(ctx: Context, runIds: readonly string[]): Promise<string[]> {
  const viewer = requireViewer(ctx);
  const candidates = runIds.filter(isUuid).map(canonicalId);
  if (candidates.length === 0) return [];
  const rows = await Promise.all(candidates.map((id) => ctx.loaders.runTeam.load(id)));
  return candidates.filter((_, i) => {
    const teamId = rows[i];
    return teamId !== null && teamId !== undefined && viewer.roles.has(teamId);
  });
}
