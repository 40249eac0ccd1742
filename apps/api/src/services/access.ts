import { runStore, type Role } from '@tuneboard/db';
import type { Scope } from './scope';
import { forbidden, notFound, unauthenticated } from './errors';
import type { Actor } from './accounts';

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

export function requireActor(ctx: Pick<Scope, 'actor'>): Actor {
  if (!ctx.actor) throw unauthenticated();
  return ctx.actor;
}

/** Throws NOT_FOUND when the viewer is not in the team, FORBIDDEN when their role is too weak. */
export function requireTeam(ctx: Pick<Scope, 'actor'>, teamId: string, access: Access, what: string, id: string): Role {
  const role = requireActor(ctx).roles.get(canonicalId(teamId));
  if (!role) throw notFound(what, id);
  if (!ALLOWED[access].includes(role))
    throw forbidden(`Your role in this team is ${role}; ${access === 'admin' ? 'only an owner' : 'an owner or member'} can do this`);
  return role;
}

/** The teams in which the actor has `access` (their ids), for a store query that checks it itself. */
export function teamsWith(ctx: Pick<Scope, 'actor'>, access: Access): string[] {
  return [...requireActor(ctx).roles].filter(([, role]) => ALLOWED[access].includes(role)).map(([teamId]) => teamId);
}

export async function loadProject(ctx: Scope, projectId: string, access: Access) {
  requireActor(ctx);
  if (!isUuid(projectId)) throw notFound('Project', projectId);
  const project = await ctx.loaders.project.load(canonicalId(projectId));
  if (!project) throw notFound('Project', projectId);
  requireTeam(ctx, project.teamId, access, 'Project', projectId);
  return project;
}

export async function loadRun(ctx: Scope, runId: string, access: Access) {
  requireActor(ctx);
  if (!isUuid(runId)) throw notFound('Run', runId);
  const row = await runStore.runWithTeam(ctx.store, canonicalId(runId));
  if (!row) throw notFound('Run', runId);
  requireTeam(ctx, row.teamId, access, 'Run', runId);
  return row.run;
}

/** Of the given run ids, those the viewer may read (order kept, unknown and foreign ids dropped). */
export async function readableRunIds(ctx: Scope, runIds: readonly string[]): Promise<string[]> {
  const viewer = requireActor(ctx);
  const candidates = runIds.filter(isUuid).map(canonicalId);
  if (candidates.length === 0) return [];
  const rows = await Promise.all(candidates.map((id) => ctx.loaders.runTeam.load(id)));
  return candidates.filter((_, i) => {
    const teamId = rows[i];
    return teamId !== null && teamId !== undefined && viewer.roles.has(teamId);
  });
}
