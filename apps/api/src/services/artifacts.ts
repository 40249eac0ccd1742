import { ArtifactPathError, artifactSegments, artifactSegmentsFromUrl } from '../artifacts/paths';
import { ArtifactConflictError, ArtifactTooLargeError, formatBytes, type ArtifactEntry, type StoredArtifact } from '../artifacts/store';
import { canonicalId, loadRun, type Access } from './access';
import { conflict, DomainError, invalid, notFound } from './errors';
import type { Scope } from './scope';

/**
 * A run's artifacts, for every transport (the MLflow artifacts proxy, the dashboard's download route, GraphQL):
 * the viewer's access to the run first (write to upload, read to list or download; another team's run is not
 * found), then the path's confinement (artifacts/paths.ts), then the store. Store failures become domain errors.
 */

/** Refused because the upload is over TUNEBOARD_MAX_ARTIFACT_MB; transports may answer it with 413. */
export class ArtifactTooLarge extends DomainError {
  constructor(readonly limitBytes: number) {
    super('BAD_USER_INPUT', `The artifact is larger than the limit of ${formatBytes(limitBytes)} (TUNEBOARD_MAX_ARTIFACT_MB); nothing was stored.`, {
      limitBytes,
    });
  }
}

/** The run a request names, and (MLflow's experiment id) the project it must belong to. */
export interface ArtifactRun {
  runId: string;
  projectId?: string;
}

/**
 * The artifact_uri MLflow clients get for a run (the experiment id is the Tuneboard project id): they resolve it to
 * `<tracking uri>/api/2.0/mlflow-artifacts/artifacts/<project id>/<run id>/artifacts/…` and upload through this proxy.
 */
export function mlflowArtifactUri(projectId: string, runId: string): string {
  return `mlflow-artifacts:/${projectId}/${runId}/artifacts`;
}

/** A relative path as text (GraphQL, a query string already decoded once); '' is the run's root when `allowEmpty`. */
export function artifactPath(text: string, options: { allowEmpty?: boolean } = {}): string[] {
  return pathErrors(() => artifactSegments(text, options));
}

/** A relative path as it appears in a URL, still percent-encoded: each segment is decoded exactly once. */
export function artifactPathFromUrl(raw: string): string[] {
  return pathErrors(() => artifactSegmentsFromUrl(raw));
}

/** Stores `body` (streamed) at `path`; `declaredBytes` (a Content-Length) is checked against the limit before reading. */
export async function uploadArtifact(
  ctx: Scope,
  target: ArtifactRun,
  path: readonly string[],
  body: AsyncIterable<Uint8Array>,
  declaredBytes?: number,
): Promise<{ size: number }> {
  const run = await artifactRun(ctx, target, 'write');
  const limit = ctx.settings.maxArtifactBytes;
  if (declaredBytes !== undefined && declaredBytes > limit) throw new ArtifactTooLarge(limit);
  if (path.length === 0) throw invalid('Name the artifact file to upload; the path is empty');
  return storeErrors(() => ctx.artifacts.put(run.id, path, body, limit));
}

/** The file at `path` with its size; NOT_FOUND when there is no file there. */
export async function downloadArtifact(ctx: Scope, target: ArtifactRun, path: readonly string[]): Promise<StoredArtifact & { name: string }> {
  const run = await artifactRun(ctx, target, 'read');
  if (path.length === 0) throw invalid('Name the artifact file to download; the path is empty');
  const file = await storeErrors(() => ctx.artifacts.get(run.id, path));
  if (!file) throw notFound('Artifact', path.join('/'));
  return { ...file, name: path.at(-1)! };
}

/** One directory level of the run's artifacts ([] = its root); empty when nothing is there (or `path` is a file). */
export async function listArtifacts(ctx: Scope, target: ArtifactRun, path: readonly string[]): Promise<ArtifactEntry[]> {
  const run = await artifactRun(ctx, target, 'read');
  return storeErrors(() => ctx.artifacts.list(run.id, path));
}

async function artifactRun(ctx: Scope, { runId, projectId }: ArtifactRun, access: Access) {
  const run = await loadRun(ctx, runId, access);
  // A run named under another project (MLflow's `<experiment_id>/<run_id>`) is not found, like a foreign one.
  if (projectId !== undefined && canonicalId(projectId) !== run.projectId) throw notFound('Run', runId);
  return run;
}

function pathErrors<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ArtifactPathError) throw invalid(error.message, [{ path: 'path', message: error.reason }]);
    throw error;
  }
}

async function storeErrors<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof ArtifactPathError) throw invalid(error.message, [{ path: 'path', message: error.reason }]);
    if (error instanceof ArtifactTooLargeError) throw new ArtifactTooLarge(error.maxBytes);
    if (error instanceof ArtifactConflictError) throw conflict(error.message);
    throw error;
  }
}
