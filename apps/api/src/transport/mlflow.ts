import type { MetricSummaryRow } from '@tuneboard/db';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { clientAddress } from '../client-address';
import type { Context } from '../context';
import type { RateLimited } from '../rate-limits';
import { isDomainError, type DomainError } from '../services/errors';
import {
  createExperiment,
  createMlflowRun,
  deleteExperimentTag,
  deleteRunTag,
  getExperiment,
  getExperimentByName,
  getRun,
  logBatch,
  metricHistory,
  metricHistoryBulkInterval,
  MLFLOW_LIMITS,
  MLFLOW_STATUSES,
  mlflowTeam,
  recordLoggedModel,
  renameExperiment,
  resolveExperimentId,
  setExperimentDeleted,
  setExperimentTag,
  setMlflowRunDeleted,
  setRunTag,
  toMlflowStatus,
  updateMlflowRun,
  type ExperimentView,
  type MetricInput,
  type MlflowStatus,
  type RunView,
  type ViewType,
} from '../services/mlflow';
import { DEFAULT_SEARCH_RESULTS, MAX_SEARCH_RESULTS, searchExperiments, searchMlflowRuns } from '../services/mlflow-search';
import { mlflowArtifactUri } from '../services/artifacts';
import type { Admission } from './admission';
import { BodyTooLargeError, readBody } from './http';
import { endCompressed } from './compression';

/**
 * MLflow's tracking REST API (mlflow/protos/service.proto) under /api/2.0/mlflow/ and /ajax-api/2.0/mlflow/, so an
 * unmodified MLflow client (MLFLOW_TRACKING_URI, MLFLOW_TRACKING_TOKEN) logs into Tuneboard. This file speaks
 * MLflow's HTTP: parsing GET query strings and POST bodies, the JSON shapes, and its error body
 * `{"error_code": …, "message": …}`; services/mlflow*.ts do the work. Every request passes the same admission as
 * GraphQL (the address's rate limit, the token and its rate limit, the body limit), the first three in one round
 * trip to PostgreSQL and before the body is read (Admission.admit).
 */

/**
 * `/api/2.0/mlflow/<endpoint>` and `/ajax-api/2.0/mlflow/<endpoint>`, optionally under `/teams/<team>` (a team id or
 * name): MLflow's client appends the API path to MLFLOW_TRACKING_URI, so `http://tuneboard:4000/teams/nlp` chooses
 * the team without a header an unmodified client could not send.
 */
const MLFLOW_PATH = /^(?:\/teams\/([^/]+))?\/(?:api|ajax-api)\/2\.0\/mlflow\/(.*)$/;
export const isMlflowPath = (pathname: string) => MLFLOW_PATH.test(pathname);

/** Largest MLflow request body: a full log-batch is at most 1 MB of values, with room for its JSON. */
const MAX_MLFLOW_BODY = 4 * 1024 * 1024;

export interface MlflowHandlerOptions {
  admission: Admission;
  logger: Logger;
  trustedProxies: ReadonlySet<string>;
  maxBodyBytes: number;
}

/** An MLflow error: its code and HTTP status, as MLflow's server answers it. */
export class MlflowError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const invalidParam = (message: string) => new MlflowError('INVALID_PARAMETER_VALUE', message);

/** The one mapping of domain errors to MLflow's error codes and statuses. */
export function mlflowErrorOf(error: DomainError): MlflowError {
  switch (error.code) {
    case 'NOT_FOUND':
      return new MlflowError('RESOURCE_DOES_NOT_EXIST', error.message, 404);
    case 'BAD_USER_INPUT':
    case 'POLICY_VIOLATION':
      return new MlflowError('INVALID_PARAMETER_VALUE', error.message, 400);
    case 'CONFLICT':
      return error.details.exists ? new MlflowError('RESOURCE_ALREADY_EXISTS', error.message, 400) : new MlflowError('INVALID_STATE', error.message, 400);
    case 'FORBIDDEN':
      return new MlflowError('PERMISSION_DENIED', error.message, 403);
    case 'UNAUTHENTICATED':
      return new MlflowError('UNAUTHENTICATED', error.message, 401);
    case 'EVENTS_INTERRUPTED':
      return new MlflowError('INTERNAL_ERROR', error.message, 500);
  }
}

type Params = Record<string, unknown>;
interface Request {
  ctx: Context;
  params: Params;
  /** Bytes of the POST body (0 for a GET). */
  bodyBytes: number;
  /** The team the path names (`/teams/<team>/api/2.0/mlflow/…`), if any. */
  pathTeam: string | null;
  headers: IncomingMessage['headers'];
}
type Route = { methods: readonly ('GET' | 'POST')[]; handle: (request: Request) => Promise<unknown> };

// ── Reading fields (POST JSON or GET query string) ─────────────────────────────────────────────────────────────

function optionalString(params: Params, name: string): string | null {
  const value = params[name];
  if (value === undefined || value === null) return null;
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
  if (typeof value !== 'string') throw invalidParam(`Invalid value ${JSON.stringify(value)} for parameter '${name}' supplied: it must be a string`);
  return value;
}

function requiredString(params: Params, name: string, allowEmpty = false): string {
  const value = optionalString(params, name);
  if (value === null || (!allowEmpty && value === '')) throw invalidParam(`Missing value for required parameter '${name}'.`);
  return value;
}

/** An int64 field: a JSON number or, as protobuf's JSON writes int64, its decimal text. */
function optionalInt(params: Params, name: string): number | null {
  let value = params[name];
  if (value === undefined || value === null) return null;
  if (Array.isArray(value) && value.length === 1) value = value[0];
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number)) throw invalidParam(`Invalid value ${JSON.stringify(value)} for parameter '${name}' supplied: it must be an integer`);
  return number;
}

/** A time in milliseconds since the epoch, within what a date can hold. */
function optionalTime(params: Params, name: string): number | null {
  const value = optionalInt(params, name);
  if (value !== null && Math.abs(value) > 8.64e15)
    throw invalidParam(`Invalid value ${value} for parameter '${name}' supplied: it is not a time in milliseconds`);
  return value;
}

/** A double field: a number, or "NaN", "Infinity", "-Infinity" as protobuf's JSON writes them. */
function requiredDouble(params: Params, name: string): number {
  const value = params[name];
  if (value === undefined || value === null) throw invalidParam(`Missing value for required parameter '${name}'.`);
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const special = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, nan: NaN, inf: Infinity, '-inf': -Infinity }[value];
    if (special !== undefined) return special;
    if (value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  }
  throw invalidParam(`Invalid value ${JSON.stringify(value)} for parameter '${name}' supplied: it must be a number`);
}

function stringList(params: Params, name: string): string[] {
  const value = params[name];
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((item) => typeof item === 'string')) throw invalidParam(`Invalid value for parameter '${name}' supplied: it must be a list of strings`);
  return list as string[];
}

function objectList(params: Params, name: string): Params[] {
  const value = params[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item)))
    throw invalidParam(`Invalid value for parameter '${name}' supplied: it must be a list of objects`);
  return value as Params[];
}

function keyValues(params: Params, name: string): { key: string; value: string }[] {
  return objectList(params, name).map((item) => ({ key: requiredString(item, 'key'), value: requiredString(item, 'value', true) }));
}

function viewType(params: Params, name: string): ViewType {
  const value = optionalString(params, name) ?? 'ACTIVE_ONLY';
  if (value !== 'ACTIVE_ONLY' && value !== 'DELETED_ONLY' && value !== 'ALL')
    throw invalidParam(`Invalid value '${value}' for parameter '${name}': use ACTIVE_ONLY, DELETED_ONLY or ALL`);
  return value;
}

function maxResults(params: Params, fallback: number, max: number): number {
  const value = optionalInt(params, 'max_results') ?? fallback;
  if (value < 1 || value > max) throw invalidParam(`Invalid value ${value} for parameter 'max_results' supplied. It must be at most ${max}, and at least 1`);
  return value;
}

/** run_id, or the older run_uuid. */
const runIdOf = (params: Params) => optionalString(params, 'run_id') || requiredString(params, 'run_uuid');

// ── MLflow's JSON shapes ───────────────────────────────────────────────────────────────────────────────────────

/** Doubles as protobuf's JSON writes them: NaN and the infinities as strings. */
const double = (value: number) => (Number.isNaN(value) ? 'NaN' : value === Infinity ? 'Infinity' : value === -Infinity ? '-Infinity' : value);

function experimentJson({ project, tags }: ExperimentView) {
  return {
    experiment_id: project.id,
    name: project.name,
    artifact_location: `mlflow-artifacts:/${project.id}`,
    lifecycle_stage: project.deletedAt ? 'deleted' : 'active',
    creation_time: project.createdAt.getTime(),
    last_update_time: (project.deletedAt ?? project.createdAt).getTime(),
    tags,
  };
}

function runInfoJson(view: RunView) {
  const { run } = view;
  return {
    run_id: run.id,
    run_uuid: run.id,
    run_name: run.name,
    experiment_id: run.projectId,
    user_id: view.userId,
    status: toMlflowStatus(run.status),
    start_time: (run.startedAt ?? run.createdAt).getTime(),
    ...(run.finishedAt ? { end_time: run.finishedAt.getTime() } : {}),
    artifact_uri: mlflowArtifactUri(run.projectId, run.id),
    lifecycle_stage: run.deletedAt ? 'deleted' : 'active',
  };
}

const latestMetricJson = (m: MetricSummaryRow) => ({ key: m.key, value: double(m.lastValue ?? NaN), timestamp: m.updatedAt.getTime(), step: m.lastStep ?? 0 });

function runJson(view: RunView) {
  return {
    info: runInfoJson(view),
    data: { metrics: view.metrics.filter((m) => m.lastStep !== null).map(latestMetricJson), params: view.params, tags: view.tags },
    inputs: {},
  };
}

// ── The endpoints ──────────────────────────────────────────────────────────────────────────────────────────────

const teamOf = (request: Request) => mlflowTeam(request.ctx, headerValue(request.headers['x-tuneboard-team']) ?? request.pathTeam);
/** An experiment id of the request, "0" (MLflow's Default experiment) read as the team's Default project. */
const experimentIdOf = (request: Request, id: string) => resolveExperimentId(request.ctx, id, () => teamOf(request));
const headerValue = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value) ?? null;

function metricOf(item: Params): MetricInput {
  const value = requiredDouble(item, 'value');
  const timestamp = optionalTime(item, 'timestamp');
  if (timestamp === null) throw invalidParam(`Missing value for required parameter 'timestamp'.`);
  return { key: requiredString(item, 'key'), value, timestamp, step: optionalInt(item, 'step') ?? 0 };
}

const ROUTES: Record<string, Route> = {
  'experiments/create': {
    methods: ['POST'],
    handle: async (r) => {
      const name = requiredString(r.params, 'name');
      const project = await createExperiment(r.ctx, await teamOf(r), { name, tags: keyValues(r.params, 'tags') });
      return { experiment_id: project.id };
    },
  },
  'experiments/get': {
    methods: ['GET'],
    handle: async (r) => ({ experiment: experimentJson(await getExperiment(r.ctx, await experimentIdOf(r, requiredString(r.params, 'experiment_id')))) }),
  },
  'experiments/get-by-name': {
    methods: ['GET'],
    handle: async (r) => ({ experiment: experimentJson(await getExperimentByName(r.ctx, await teamOf(r), requiredString(r.params, 'experiment_name'))) }),
  },
  'experiments/search': {
    methods: ['GET', 'POST'],
    handle: async (r) => {
      const order = parseExperimentOrder(stringList(r.params, 'order_by'));
      const result = await searchExperiments(r.ctx, await teamOf(r), {
        view: viewType(r.params, 'view_type'),
        maxResults: maxResults(r.params, 1000, MAX_SEARCH_RESULTS),
        pageToken: optionalString(r.params, 'page_token'),
        filter: optionalString(r.params, 'filter'),
        order,
      });
      return { experiments: result.experiments.map(experimentJson), ...(result.nextPageToken ? { next_page_token: result.nextPageToken } : {}) };
    },
  },
  'experiments/update': {
    methods: ['POST'],
    handle: async (r) => {
      const id = requiredString(r.params, 'experiment_id');
      const name = optionalString(r.params, 'new_name');
      if (name !== null) await renameExperiment(r.ctx, id, name);
      else await getExperiment(r.ctx, id);
      return {};
    },
  },
  'experiments/delete': { methods: ['POST'], handle: async (r) => (await setExperimentDeleted(r.ctx, requiredString(r.params, 'experiment_id'), true), {}) },
  'experiments/restore': { methods: ['POST'], handle: async (r) => (await setExperimentDeleted(r.ctx, requiredString(r.params, 'experiment_id'), false), {}) },
  'experiments/set-experiment-tag': {
    methods: ['POST'],
    handle: async (r) => (
      await setExperimentTag(r.ctx, requiredString(r.params, 'experiment_id'), requiredString(r.params, 'key'), requiredString(r.params, 'value', true)),
      {}
    ),
  },
  'experiments/delete-experiment-tag': {
    methods: ['POST'],
    handle: async (r) => (await deleteExperimentTag(r.ctx, requiredString(r.params, 'experiment_id'), requiredString(r.params, 'key')), {}),
  },
  'runs/create': {
    methods: ['POST'],
    handle: async (r) => {
      const view = await createMlflowRun(r.ctx, {
        experimentId: await experimentIdOf(r, requiredString(r.params, 'experiment_id')),
        runName: optionalString(r.params, 'run_name'),
        startTime: optionalTime(r.params, 'start_time'),
        tags: keyValues(r.params, 'tags'),
        userId: optionalString(r.params, 'user_id'),
      });
      return { run: runJson(view) };
    },
  },
  'runs/get': { methods: ['GET'], handle: async (r) => ({ run: runJson(await getRun(r.ctx, runIdOf(r.params))) }) },
  'runs/update': {
    methods: ['POST'],
    handle: async (r) => {
      const status = optionalString(r.params, 'status');
      if (status !== null && !MLFLOW_STATUSES.includes(status as MlflowStatus))
        throw invalidParam(`Invalid value '${status}' for parameter 'status': use one of ${MLFLOW_STATUSES.join(', ')}`);
      const view = await updateMlflowRun(r.ctx, {
        runId: runIdOf(r.params),
        status: status as MlflowStatus | null,
        endTime: optionalTime(r.params, 'end_time'),
        runName: optionalString(r.params, 'run_name'),
      });
      return { run_info: runInfoJson(view) };
    },
  },
  'runs/delete': { methods: ['POST'], handle: async (r) => (await setMlflowRunDeleted(r.ctx, requiredString(r.params, 'run_id'), true), {}) },
  'runs/restore': { methods: ['POST'], handle: async (r) => (await setMlflowRunDeleted(r.ctx, requiredString(r.params, 'run_id'), false), {}) },
  'runs/log-metric': {
    methods: ['POST'],
    handle: async (r) => (await logBatch(r.ctx, { runId: runIdOf(r.params), metrics: [metricOf(r.params)], params: [], tags: [] }), {}),
  },
  'runs/log-parameter': {
    methods: ['POST'],
    handle: async (r) => (
      await logBatch(r.ctx, {
        runId: runIdOf(r.params),
        metrics: [],
        params: [{ key: requiredString(r.params, 'key'), value: requiredString(r.params, 'value', true) }],
        tags: [],
      }),
      {}
    ),
  },
  'runs/set-tag': {
    methods: ['POST'],
    handle: async (r) => (await setRunTag(r.ctx, runIdOf(r.params), requiredString(r.params, 'key'), requiredString(r.params, 'value', true)), {}),
  },
  'runs/delete-tag': {
    methods: ['POST'],
    handle: async (r) => (await deleteRunTag(r.ctx, requiredString(r.params, 'run_id'), requiredString(r.params, 'key')), {}),
  },
  'runs/log-batch': {
    methods: ['POST'],
    handle: async (r) => {
      const runId = requiredString(r.params, 'run_id');
      const metrics = objectList(r.params, 'metrics');
      const params = keyValues(r.params, 'params');
      const tags = keyValues(r.params, 'tags');
      if (r.bodyBytes > MLFLOW_LIMITS.batchBytes)
        throw invalidParam(`Batched logging API requests must be at most ${MLFLOW_LIMITS.batchBytes} bytes in size. Got ${r.bodyBytes} bytes.`);
      if (metrics.length > MLFLOW_LIMITS.batchMetrics)
        throw invalidParam(`A batch logging request can contain at most ${MLFLOW_LIMITS.batchMetrics} metrics. Got ${metrics.length} metrics.`);
      await logBatch(r.ctx, { runId, metrics: metrics.map(metricOf), params, tags });
      return {};
    },
  },
  'runs/log-model': {
    methods: ['POST'],
    handle: async (r) => (await recordLoggedModel(r.ctx, runIdOf(r.params), requiredString(r.params, 'model_json')), {}),
  },
  'runs/search': {
    methods: ['POST', 'GET'],
    handle: async (r) => {
      const result = await searchMlflowRuns(r.ctx, {
        experimentIds: await Promise.all(stringList(r.params, 'experiment_ids').map((id) => experimentIdOf(r, id))),
        filter: optionalString(r.params, 'filter'),
        view: viewType(r.params, 'run_view_type'),
        maxResults: maxResults(r.params, DEFAULT_SEARCH_RESULTS, MAX_SEARCH_RESULTS),
        orderBy: stringList(r.params, 'order_by'),
        pageToken: optionalString(r.params, 'page_token'),
      });
      return { runs: result.runs.map(runJson), ...(result.nextPageToken ? { next_page_token: result.nextPageToken } : {}) };
    },
  },
  'metrics/get-history': {
    methods: ['GET'],
    handle: async (r) => {
      const result = await metricHistory(r.ctx, {
        runId: runIdOf(r.params),
        key: requiredString(r.params, 'metric_key'),
        // Without max_results MLflow answers the whole history at once; Tuneboard pages past 100,000 points.
        maxResults: r.params.max_results === undefined || r.params.max_results === null ? 100_000 : maxResults(r.params, 25_000, 25_000),
        pageToken: optionalString(r.params, 'page_token'),
      });
      return {
        metrics: result.points.map((p) => ({ key: p.key, value: double(p.value), timestamp: p.timestamp, step: p.step })),
        ...(result.nextPageToken ? { next_page_token: result.nextPageToken } : {}),
      };
    },
  },
  'metrics/get-history-bulk-interval': {
    methods: ['GET'],
    handle: async (r) => {
      const runIds = stringList(r.params, 'run_ids');
      if (runIds.length === 0) throw invalidParam(`Missing value for required parameter 'run_ids'.`);
      if (runIds.length > 100) throw invalidParam(`GetMetricHistoryBulkInterval request must specify at most 100 run_ids. Received ${runIds.length} run_ids.`);
      const startStep = optionalInt(r.params, 'start_step');
      const endStep = optionalInt(r.params, 'end_step');
      if ((startStep === null) !== (endStep === null)) throw invalidParam('If either start step or end step are specified, both must be specified.');
      if (startStep !== null && endStep !== null && startStep > endStep) throw invalidParam('end_step must be greater than start_step.');
      const points = await metricHistoryBulkInterval(r.ctx, {
        runIds: [...new Set(runIds)],
        key: requiredString(r.params, 'metric_key'),
        startStep,
        endStep,
        maxResults: maxResults(r.params, 320, 2500),
      });
      return { metrics: points.map((p) => ({ key: p.key, value: double(p.value), timestamp: p.timestamp, step: p.step, run_id: p.runId })) };
    },
  },
  // The model registry is not part of Tuneboard: clients and UIs that list it get empty lists instead of errors.
  'registered-models/search': { methods: ['GET', 'POST'], handle: async () => ({ registered_models: [] }) },
  'model-versions/search': { methods: ['GET', 'POST'], handle: async () => ({ model_versions: [] }) },
};

function parseExperimentOrder(orderBy: string[]): { field: 'name' | 'created' | 'id'; ascending: boolean } {
  if (orderBy.length === 0) return { field: 'created', ascending: false };
  if (orderBy.length > 1) throw invalidParam('Tuneboard orders experiments by one clause (e.g. name ASC)');
  const match = /^\s*(?:attributes?\.)?(name|creation_time|last_update_time|experiment_id)(?:\s+(asc|desc))?\s*$/i.exec(orderBy[0]!);
  if (!match) throw invalidParam(`Invalid order_by clause '${orderBy[0]}': order experiments by name, creation_time, last_update_time or experiment_id`);
  const field = match[1]!.toLowerCase() === 'name' ? 'name' : match[1]!.toLowerCase() === 'experiment_id' ? 'id' : 'created';
  return { field, ascending: (match[2] ?? 'asc').toLowerCase() === 'asc' };
}

// ── HTTP ───────────────────────────────────────────────────────────────────────────────────────────────────────

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const sendError = (res: ServerResponse, error: MlflowError, headers: Record<string, string> = {}) =>
  send(res, error.status, { error_code: error.errorCode, message: error.message }, headers);

function sendLimited(res: ServerResponse, limited: RateLimited): void {
  sendError(res, new MlflowError('REQUEST_LIMIT_EXCEEDED', limited.message, 429), { 'retry-after': String(limited.retryAfterSeconds) });
}

/** GET parameters: a repeated key (run_ids=a&run_ids=b) is a list, a single one a string. */
function queryParams(url: URL): Params {
  const params: Params = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    Object.defineProperty(params, key, { value: values.length === 1 ? values[0] : values, enumerable: true, writable: true, configurable: true });
  }
  return params;
}

export function createMlflowHandler(options: MlflowHandlerOptions) {
  const { admission, logger, trustedProxies } = options;
  const bodyLimit = Math.min(options.maxBodyBytes, MAX_MLFLOW_BODY);

  return async function handleMlflow(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const address = clientAddress(req, trustedProxies);
    /** A request no route takes still counts towards its address's limit. */
    const refuse = async (error: MlflowError) => {
      req.resume();
      const limited = await admission.addressLimit(address);
      if (limited) return sendLimited(res, limited);
      sendError(res, error);
    };
    const [, encodedTeam, rest] = MLFLOW_PATH.exec(url.pathname)!;
    const endpoint = rest!.replace(/\/+$/, '');
    let pathTeam: string | null;
    try {
      pathTeam = encodedTeam === undefined ? null : decodeURIComponent(encodedTeam);
    } catch {
      return refuse(new MlflowError('INVALID_PARAMETER_VALUE', `The team in ${url.pathname} is not valid URL encoding`));
    }
    const route = Object.hasOwn(ROUTES, endpoint) ? ROUTES[endpoint] : undefined;
    const method = (req.method ?? 'GET').toUpperCase();
    if (!route || !(route.methods as readonly string[]).includes(method))
      return refuse(
        new MlflowError(
          'ENDPOINT_NOT_FOUND',
          route ? `${url.pathname} takes ${route.methods.join(' or ')}, not ${method}` : `No MLflow endpoint at ${url.pathname}`,
          404,
        ),
      );
    // The body arrives while admission runs (a round trip to PostgreSQL); it is parsed only once the request is admitted.
    const arriving =
      method === 'POST'
        ? readBody(req, bodyLimit).then(
            (text) => ({ text }),
            (error: unknown) => ({ error }),
          )
        : Promise.resolve({ text: '' });
    let authenticated;
    try {
      authenticated = await admission.admit(address, req.headers.authorization, 'http');
    } catch (error) {
      req.resume();
      if (isDomainError(error)) return sendError(res, mlflowErrorOf(error));
      throw error;
    }
    if (authenticated.limited) {
      req.resume();
      return sendLimited(res, authenticated.limited);
    }
    const ctx = authenticated.context;
    if (!ctx?.actor) {
      req.resume();
      return sendError(
        res,
        new MlflowError(
          'UNAUTHENTICATED',
          'You are not authenticated. Set MLFLOW_TRACKING_TOKEN to a Tuneboard API token (it is sent as Authorization: Bearer <token>).',
          401,
        ),
        { 'www-authenticate': 'Bearer realm="tuneboard"' },
      );
    }
    let params: Params;
    let bodyBytes = 0;
    if (method === 'POST') {
      const arrived = await arriving;
      if ('error' in arrived) {
        if (!(arrived.error instanceof BodyTooLargeError)) throw arrived.error;
        res.setHeader('connection', 'close');
        return sendError(res, new MlflowError('INVALID_PARAMETER_VALUE', `The request body is larger than ${bodyLimit} bytes; log in smaller batches.`, 413));
      }
      const { text } = arrived;
      bodyBytes = Buffer.byteLength(text);
      let body: unknown;
      try {
        body = text.trim() === '' ? {} : JSON.parse(text);
      } catch {
        return sendError(res, new MlflowError('MALFORMED_REQUEST', 'The request body is not valid JSON'));
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        return sendError(res, new MlflowError('MALFORMED_REQUEST', 'The request body must be a JSON object'));
      params = body as Params;
    } else params = queryParams(url);

    try {
      const answer = await route.handle({ ctx, params, headers: req.headers, bodyBytes, pathTeam });
      // Searches and metric histories run to megabytes: compressed when the client accepts it (MLflow's does).
      res.statusCode = 200;
      res.setHeader('content-type', 'application/json');
      await endCompressed(req, res, JSON.stringify(answer));
    } catch (error) {
      if (error instanceof MlflowError) return sendError(res, error);
      if (isDomainError(error)) return sendError(res, mlflowErrorOf(error));
      logger.error({ err: error, endpoint }, 'MLflow request failed');
      sendError(res, new MlflowError('INTERNAL_ERROR', 'Internal server error', 500));
    }
  };
}
