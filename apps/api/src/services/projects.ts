import { projectStore, type HparamSchemaKind, type Project } from '@tuneboard/db';
import { requireActor, requireTeam } from './access';
import { conflict, invalid } from './errors';
import { compileSchemaDocument } from './hparam-schemas';
import type { Scope } from './scope';

/** Projects of the actor's teams. */

const MAX_PROJECT_NAME_LENGTH = 100;

/** The projects of one team, or of every team the actor is in. */
export async function listProjects(scope: Scope, teamId?: string | null): Promise<Project[]> {
  const actor = requireActor(scope);
  if (teamId) requireTeam(scope, teamId, 'read', 'Team', teamId);
  return projectStore.projectsOfTeams(scope.store, teamId ? [teamId] : [...actor.roles.keys()]);
}

/** A new project; its schema is built-in unless `kind` says otherwise (declared needs its JSON Schema `document`). */
export async function createProject(
  scope: Scope,
  input: { teamId: string; name: string; description?: string | null; kind?: HparamSchemaKind | null; document?: unknown },
): Promise<Project> {
  requireTeam(scope, input.teamId, 'write', 'Team', input.teamId);
  const name = input.name.trim();
  if (name === '' || name.length > MAX_PROJECT_NAME_LENGTH)
    throw invalid(`A project name must have 1 to ${MAX_PROJECT_NAME_LENGTH} characters`, [
      { path: 'name', message: `must have 1 to ${MAX_PROJECT_NAME_LENGTH} characters` },
    ]);
  const kind = input.kind ?? 'builtin';
  if (kind === 'declared' && input.document == null)
    throw invalid('A declared schema needs its JSON Schema document', [{ path: 'schema', message: 'required for kind declared' }]);
  if (kind !== 'declared' && input.document != null)
    throw invalid('Only a declared schema takes a schema document', [{ path: 'schema', message: `not used with kind ${kind}` }]);
  if (kind === 'declared') compileSchemaDocument(input.document);
  const project = await projectStore.createProject(
    scope.store,
    { teamId: input.teamId, name, description: input.description ?? '', schemaKind: kind },
    kind === 'declared' ? { document: input.document, createdById: scope.actor?.userId ?? null } : undefined,
  );
  if (!project) throw conflict(`This team already has a project named "${name}"`);
  return project;
}

/** Live runs in a project (the caller has already read the project). */
export function countRuns(scope: Scope, projectId: string): Promise<number> {
  return projectStore.countRunsOfProject(scope.store, projectId);
}
