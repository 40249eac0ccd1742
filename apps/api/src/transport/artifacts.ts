import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { clientAddress } from '../client-address';
import type { Context } from '../context';
import type { RateLimited } from '../rate-limits';
import { ArtifactTooLarge, artifactPath, artifactPathFromUrl, downloadArtifact, listArtifacts, uploadArtifact, type ArtifactRun } from '../services/artifacts';
import { isDomainError, type DomainError } from '../services/errors';
import type { Admission } from './admission';

/**
 * Run artifacts over HTTP, behind the same admission as GraphQL (address rate limit, token, token rate limit):
 *
 * - MLflow's artifacts proxy, as its HttpArtifactRepository calls it (runs' artifact_uri is
 *   `mlflow-artifacts:/<experiment_id>/<run_id>/artifacts`), under /api/2.0/mlflow-artifacts and /ajax-api/2.0/mlflow-artifacts:
 *   `PUT  /artifacts/<experiment_id>/<run_id>/artifacts/<path>`  body = the file's bytes → `{}`
 *   `GET  /artifacts/<experiment_id>/<run_id>/artifacts/<path>`  → the bytes (Content-Length, attachment)
 *   `GET  /artifacts?path=<experiment_id>/<run_id>/artifacts[/<dir>]` → `{"files":[{"path","is_dir","file_size"}]}`
 *   with names relative to the listed directory, as MLflow's server answers. Errors are MLflow's
 *   `{"error_code","message"}` bodies.
 * - Tuneboard's own routes, for the dashboard, the SDK and the worker: `GET` and `PUT /api/runs/<run_id>/artifacts/<path>`.
 *
 * Paths are taken from the raw request target (never from a parsed URL, which would resolve `..` and `%2e%2e`
 * before they could be refused), then each segment is decoded once and checked (services/artifacts.ts).
 */

export interface ArtifactsHandlerOptions {
  admission: Admission;
  logger: Logger;
  trustedProxies: ReadonlySet<string>;
}

const MLFLOW_PREFIXES = ['/api/2.0/mlflow-artifacts/', '/ajax-api/2.0/mlflow-artifacts/'];
const NATIVE_PREFIX = '/api/runs/';

/** Whether this handler answers the request (by its raw path, so traversal attempts reach it and are refused). */
export function isArtifactRequest(rawUrl: string | undefined): boolean {
  const path = rawPathOf(rawUrl);
  return MLFLOW_PREFIXES.some((prefix) => path.startsWith(prefix)) || (path.startsWith(NATIVE_PREFIX) && /^\/api\/runs\/[^/]*\/artifacts\//.test(path));
}

/**
 * The raw path, without the `/teams/<team>` an MLflow tracking URI may carry (`http://tuneboard:4000/teams/nlp`: the
 * client appends the artifact path to it). The run names its team; access is checked on the run.
 */
const rawPathOf = (rawUrl: string | undefined) => {
  const path = (rawUrl ?? '/').split('?', 1)[0]!;
  const team = /^\/teams\/[^/]+(?=\/)/.exec(path);
  return team && MLFLOW_PREFIXES.some((prefix) => path.startsWith(prefix, team[0].length)) ? path.slice(team[0].length) : path;
};

/** An answer in MLflow's error shape. */
class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function createArtifactsHandler({ admission, logger, trustedProxies }: ArtifactsHandlerOptions) {
  return async function handleArtifacts(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const address = clientAddress(req, trustedProxies);
      const addressLimited = await admission.addressLimit(address);
      if (addressLimited) throw rateLimited(addressLimited);
      const admitted = await admission.authenticate(address, req.headers.authorization, 'http');
      if (admitted.limited) throw rateLimited(admitted.limited);
      const ctx = admitted.context!;
      if (!ctx.actor)
        throw new HttpFailure(401, 'UNAUTHENTICATED', 'Send a Tuneboard token: Authorization: Bearer <token> (MLFLOW_TRACKING_TOKEN for MLflow clients)');
      await route(ctx, req, res);
    } catch (error) {
      // The client went away (an abandoned upload or download): the store kept nothing of it; no one to answer.
      if (req.socket.destroyed) {
        logger.debug({ err: error }, 'artifact request abandoned by the client');
        return;
      }
      const failure = asFailure(error);
      if (!failure) {
        logger.error({ err: error }, 'artifact request failed');
        if (res.headersSent) return void res.destroy();
      }
      sendFailure(req, res, failure ?? new HttpFailure(500, 'INTERNAL_ERROR', 'Internal server error'));
    }
  };
}

async function route(ctx: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const rawPath = rawPathOf(req.url);
  const query = new URLSearchParams((req.url ?? '').split('?').slice(1).join('?'));
  const method = req.method?.toUpperCase();
  const native = rawPath.startsWith(NATIVE_PREFIX);
  const rest = native ? rawPath.slice(NATIVE_PREFIX.length) : rawPath.slice(MLFLOW_PREFIXES.find((prefix) => rawPath.startsWith(prefix))!.length);

  if (native) {
    // <run_id>/artifacts/<path>
    const [runId, , ...file] = rest.split('/');
    allowMethods(method, ['GET', 'PUT']);
    const path = artifactPathFromUrl(file.join('/'));
    if (method === 'PUT') {
      await uploadArtifact(ctx, { runId: runId! }, path, req.iterator({ destroyOnReturn: false }), declaredLength(req));
      return sendJson(res, 200, {});
    }
    return sendFile(res, await downloadArtifact(ctx, { runId: runId! }, path));
  }
  if (rest === 'artifacts' || rest === 'artifacts/') {
    allowMethods(method, ['GET']);
    const listed = query.get('path');
    if (listed === null) throw new HttpFailure(400, 'INVALID_PARAMETER_VALUE', 'Give the directory to list: ?path=<experiment_id>/<run_id>/artifacts[/<dir>]');
    const { target, path } = mlflowTarget(listed.replace(/\/$/, ''), (text) => artifactPath(text, { allowEmpty: true }));
    const entries = await listArtifacts(ctx, target, path);
    const files = entries.map((entry) => ({
      // MLflow's server answers names relative to the listed directory; its client joins them to the path it asked for.
      path: entry.path.slice(entry.path.lastIndexOf('/') + 1),
      is_dir: entry.isDir,
      ...(entry.size === null ? {} : { file_size: entry.size }),
    }));
    return sendJson(res, 200, { files });
  }
  if (rest.startsWith('artifacts/')) {
    allowMethods(method, ['GET', 'PUT']);
    const { target, path } = mlflowTarget(rest.slice('artifacts/'.length), artifactPathFromUrl);
    if (method === 'PUT') {
      await uploadArtifact(ctx, target, path, req.iterator({ destroyOnReturn: false }), declaredLength(req));
      return sendJson(res, 200, {});
    }
    return sendFile(res, await downloadArtifact(ctx, target, path));
  }
  throw new HttpFailure(404, 'ENDPOINT_NOT_FOUND', `No artifact endpoint at ${rawPath}; Tuneboard serves the mlflow-artifacts upload, download and list calls`);
}

/**
 * `<experiment_id>/<run_id>/artifacts/<path>`: the run, the project it must be in (the experiment id is the
 * Tuneboard project id), and the path inside the run parsed by `parsePath`.
 */
function mlflowTarget(text: string, parsePath: (rest: string) => string[]): { target: ArtifactRun; path: string[] } {
  const [projectId, runId, artifacts, ...rest] = text.split('/');
  if (!projectId || !runId || artifacts !== 'artifacts')
    throw new HttpFailure(400, 'INVALID_PARAMETER_VALUE', `Artifact paths look like <experiment_id>/<run_id>/artifacts/<path>, not ${JSON.stringify(text)}`);
  return { target: { runId, projectId }, path: parsePath(rest.join('/')) };
}

/**
 * The upload's Content-Length, checked against the limit before anything is read. The body is read only in
 * uploadArtifact, after the access checks; a refusal leaves the socket to drain (sendFailure).
 */
const declaredLength = (req: IncomingMessage) => (req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']));

function allowMethods(method: string | undefined, allowed: string[]): void {
  if (!allowed.includes(method ?? ''))
    throw new HttpFailure(405, 'BAD_REQUEST', `Method ${method} is not supported here; use ${allowed.join(' or ')}`, { allow: allowed.join(', ') });
}

async function sendFile(res: ServerResponse, file: Awaited<ReturnType<typeof downloadArtifact>>): Promise<void> {
  res.writeHead(200, {
    // Never rendered by a browser (an uploaded HTML page must not run as the API's origin): always a download.
    'content-type': 'application/octet-stream',
    'content-length': String(file.size),
    'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`,
    'x-content-type-options': 'nosniff',
  });
  // A client that goes away mid-download ends the pipeline with an error: nothing to answer any more.
  await pipeline(file.stream, res).catch(() => res.destroy());
}

function rateLimited(limited: RateLimited): HttpFailure {
  return new HttpFailure(429, 'REQUEST_LIMIT_EXCEEDED', limited.message, { 'retry-after': String(limited.retryAfterSeconds) });
}

/** Domain errors in MLflow's vocabulary and HTTP statuses (mlflow/exceptions.py). */
function asFailure(error: unknown): HttpFailure | null {
  if (error instanceof HttpFailure) return error;
  if (!isDomainError(error)) return null;
  // Over the limit is a 413 (proxies and curl understand it) with the code MLflow uses for a bad value.
  if (error instanceof ArtifactTooLarge) return new HttpFailure(413, 'INVALID_PARAMETER_VALUE', error.message);
  const [status, code] = MLFLOW_CODES[(error as DomainError).code] ?? [400, 'BAD_REQUEST'];
  return new HttpFailure(status, code, error.message);
}

const MLFLOW_CODES: Partial<Record<DomainError['code'], [number, string]>> = {
  NOT_FOUND: [404, 'RESOURCE_DOES_NOT_EXIST'],
  BAD_USER_INPUT: [400, 'INVALID_PARAMETER_VALUE'],
  UNAUTHENTICATED: [401, 'UNAUTHENTICATED'],
  FORBIDDEN: [403, 'PERMISSION_DENIED'],
  CONFLICT: [409, 'RESOURCE_CONFLICT'],
};

function sendFailure(req: IncomingMessage, res: ServerResponse, failure: HttpFailure): void {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', ...failure.headers };
  if (!req.complete) {
    // An upload refused before (or while) it was read: drain the rest without storing it, so the client reads this
    // answer instead of a reset, and close the connection once it is sent.
    headers.connection = 'close';
    req.resume();
  }
  res.writeHead(failure.status, headers);
  res.end(JSON.stringify({ error_code: failure.errorCode, message: failure.message }));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}
