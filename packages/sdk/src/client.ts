import { isMetricStep, MAX_METRIC_STEP, metricKeyProblem } from '@tuneboard/hparams';
import type { RunOutcome, RunStatus } from './run-status';
import { TuneboardError } from './errors';

export interface ClientOptions {
  /** The GraphQL endpoint; default TUNEBOARD_API_URL or http://127.0.0.1:4000/graphql. */
  url?: string;
  /** An API token; default TUNEBOARD_TOKEN. */
  token?: string;
  fetch?: typeof fetch;
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
}

const env = (name: string): string | undefined => (typeof process !== 'undefined' ? process.env?.[name] : undefined);

export interface MetricColumnsInput {
  key: string;
  steps: number[];
  /** NaN and ±Infinity are allowed. */
  values: number[];
  wallTimes?: number[];
}

export interface RunLease {
  leaseToken: string;
  leaseExpiresAt: string;
  /** The lease's length; renew well within it. */
  leaseSeconds: number;
  attempt: number;
  run: {
    id: string;
    name: string;
    hparams: unknown;
    projectId: string;
    /** Where an earlier attempt left off: resume from these artifacts (null: start afresh). */
    checkpoint?: { epoch: number; step: number; path: string } | null;
  };
}

/**
 * The API's fast ingestion input: steps as little-endian int32 and values/wall times as little-endian
 * float64, base64-encoded. Several times cheaper for the server than JSON numbers, and NaN/±Infinity need
 * no special spelling.
 */
function packBytes(view: ArrayBufferView): string {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  if (typeof Buffer !== 'undefined') return Buffer.from(bytes).toString('base64');
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function packInt32(values: readonly number[]): string {
  const array = Int32Array.from(values);
  if (!littleEndian) {
    const view = new DataView(array.buffer);
    values.forEach((v, i) => view.setInt32(i * 4, v, true));
  }
  return packBytes(array);
}

function packFloat64(values: readonly number[]): string {
  const array = Float64Array.from(values);
  if (!littleEndian) {
    const view = new DataView(array.buffer);
    values.forEach((v, i) => view.setFloat64(i * 8, v, true));
  }
  return packBytes(array);
}

/** The API's packed form of a series; refuses (BAD_USER_INPUT) what the API would, before sending it. */
export function packSeries(series: MetricColumnsInput) {
  const keyProblem = metricKeyProblem(series.key);
  if (keyProblem) throw new TuneboardError(`The metric key ${JSON.stringify(series.key)} ${keyProblem}`, 'BAD_USER_INPUT');
  for (const step of series.steps)
    if (!isMetricStep(step)) throw new TuneboardError(`${series.key}: step ${step} is not a whole number from 0 to ${MAX_METRIC_STEP}`, 'BAD_USER_INPUT');
  return {
    key: series.key,
    steps: packInt32(series.steps),
    values: packFloat64(series.values),
    ...(series.wallTimes ? { wallTimes: packFloat64(series.wallTimes) } : {}),
  };
}

/** A small typed client for the operations scripts and workers need. */
export class TuneboardClient {
  readonly url: string;
  private readonly token: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(options: ClientOptions = {}) {
    this.url = options.url ?? env('TUNEBOARD_API_URL') ?? 'http://127.0.0.1:4000/graphql';
    this.token = options.token ?? env('TUNEBOARD_TOKEN');
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  /** Sends one GraphQL operation; throws TuneboardError with the API's code on any error. */
  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new TuneboardError(`Cannot reach Tuneboard at ${this.url}: ${(error as Error).message}`, 'NETWORK', [], true);
    }
    let body: { data?: T; errors?: { message: string; extensions?: { code?: string; problems?: { path: string; message: string }[] } }[] };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      throw new TuneboardError(
        `Tuneboard answered HTTP ${response.status} without a GraphQL body`,
        `HTTP_${response.status}`,
        [],
        response.status >= 500 || response.status === 429,
      );
    }
    const error = body.errors?.[0];
    if (error) {
      const code = error.extensions?.code ?? `HTTP_${response.status}`;
      // A rate limit (429) passes: worth retrying after a pause, like a server error.
      throw new TuneboardError(
        error.message,
        code,
        error.extensions?.problems ?? [],
        response.status >= 500 || response.status === 429 || code === 'INTERNAL_SERVER_ERROR',
      );
    }
    if (!response.ok || body.data === undefined)
      throw new TuneboardError(`Tuneboard answered HTTP ${response.status}`, `HTTP_${response.status}`, [], response.status >= 500);
    return body.data;
  }

  /** Stores `bytes` as the run's artifact at `path` ('/'-separated, relative to the run), replacing a file there. */
  async uploadArtifact(runId: string, path: string, bytes: Uint8Array): Promise<void> {
    await this.artifactRequest(runId, path, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
  }

  /** The bytes of the run's artifact at `path`. */
  async downloadArtifact(runId: string, path: string): Promise<Uint8Array> {
    return new Uint8Array(await (await this.artifactRequest(runId, path, { method: 'GET' })).arrayBuffer());
  }

  /** The artifact routes sit beside the GraphQL endpoint (`…/graphql` → `…/api/runs/<id>/artifacts/<path>`). */
  private async artifactRequest(runId: string, path: string, init: RequestInit): Promise<Response> {
    const encoded = path.split('/').map(encodeURIComponent).join('/');
    const url = new URL(`api/runs/${encodeURIComponent(runId)}/artifacts/${encoded}`, this.url);
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        ...init,
        headers: { ...(init.headers as Record<string, string> | undefined), ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new TuneboardError(`Cannot reach Tuneboard at ${url.origin}: ${(error as Error).message}`, 'NETWORK', [], true);
    }
    if (response.ok) return response;
    const retryable = response.status >= 500 || response.status === 429;
    const body = (await response.json().catch(() => null)) as { error_code?: string; message?: string } | null;
    throw new TuneboardError(body?.message ?? `Tuneboard answered HTTP ${response.status}`, body?.error_code ?? `HTTP_${response.status}`, [], retryable);
  }

  async viewer() {
    return (
      await this.request<{ viewer: { id: string; email: string; teams: { id: string; name: string; role: string }[] } }>(
        `{ viewer { id email teams { id name role } } }`,
      )
    ).viewer;
  }

  /** The project of that name (or id) in the team (the viewer's first team when omitted); null when there is none. */
  async findProject(name: string, team?: string): Promise<{ id: string; name: string; teamId: string } | null> {
    const chosen = await this.chooseTeam(team);
    const { projects } = await this.request<{ projects: { id: string; name: string }[] }>(`query($t: ID) { projects(teamId: $t) { id name } }`, {
      t: chosen.id,
    });
    const found = projects.find((p) => p.id === name) ?? projects.find((p) => p.name.toLowerCase() === name.toLowerCase());
    return found ? { ...found, teamId: chosen.id } : null;
  }

  /** The project of that name in the team (the viewer's first team when omitted), created if missing (with that schema kind). */
  async findOrCreateProject(name: string, team?: string, schemaKind?: 'BUILTIN' | 'INFERRED'): Promise<{ id: string; name: string }> {
    const existing = await this.findProject(name, team);
    if (existing) return { id: existing.id, name: existing.name };
    const chosen = await this.chooseTeam(team);
    return (
      await this.request<{ createProject: { id: string; name: string } }>(
        schemaKind
          ? `mutation($t: ID!, $n: String!, $k: HparamSchemaKind) { createProject(teamId: $t, name: $n, schemaKind: $k) { id name } }`
          : `mutation($t: ID!, $n: String!) { createProject(teamId: $t, name: $n) { id name } }`,
        schemaKind ? { t: chosen.id, n: name, k: schemaKind } : { t: chosen.id, n: name },
      )
    ).createProject;
  }

  private async chooseTeam(team: string | undefined): Promise<{ id: string; name: string }> {
    const viewer = await this.viewer();
    const chosen = team ? viewer.teams.find((t) => t.id === team || t.name.toLowerCase() === team.toLowerCase()) : viewer.teams[0];
    if (!chosen) throw new TuneboardError(team ? `You are not in a team "${team}"` : 'Your user belongs to no team', 'NOT_FOUND');
    return chosen;
  }

  async submitRun(input: {
    projectId: string;
    /** A configuration as JSON (give it or hparamsText). */
    hparams?: unknown;
    /** The configuration as JSON text, which keeps 2.0 (float) apart from 2 (integer). */
    hparamsText?: string;
    name?: string;
    tags?: string[];
    notes?: string;
    execution?: 'QUEUE' | 'EXTERNAL';
    requirements?: { gpu?: boolean; backends?: string[] };
    maxAttempts?: number;
    /** Required when the run breaks a policy finding; recorded on the run. */
    overrideReason?: string;
  }) {
    return (
      await this.request<{ submitRun: { run: { id: string; name: string; status: string }; warnings: { code: string; message: string }[] } }>(
        `mutation($input: SubmitRunInput!) { submitRun(input: $input) { run { id name status } warnings { code message } } }`,
        { input },
      )
    ).submitRun;
  }

  /**
   * Submits up to 1,000 runs of one project in one request and one transaction (a sweep's grid, an import): each
   * is validated and judged as submitRun would; one invalid run refuses the batch, with problems at `runs[i].…`.
   */
  async submitRuns(input: {
    projectId: string;
    runs: { hparams?: unknown; hparamsText?: string; name?: string; tags?: string[]; notes?: string }[];
    execution?: 'QUEUE' | 'EXTERNAL';
    requirements?: { gpu?: boolean; backends?: string[] };
    maxAttempts?: number;
    overrideReason?: string;
  }) {
    return (
      await this.request<{ submitRuns: { runs: { run: { id: string; name: string; status: string }; warnings: { code: string; message: string }[] }[] } }>(
        `mutation($input: SubmitRunsInput!) { submitRuns(input: $input) { runs { run { id name status } warnings { code message } } } }`,
        { input },
      )
    ).submitRuns.runs;
  }

  /** Stores points (idempotent per run, key and step), sent in the API's packed binary form. */
  async logMetrics(runId: string, series: MetricColumnsInput[], options: { leaseToken?: string } = {}): Promise<number> {
    return (
      await this.request<{ logMetrics: { accepted: number } }>(
        `mutation($r: ID!, $p: [PackedMetricSeriesInput!], $l: ID) { logMetrics(runId: $r, packed: $p, leaseToken: $l) { accepted } }`,
        { r: runId, p: series.map(packSeries), l: options.leaseToken ?? null },
      )
    ).logMetrics.accepted;
  }

  /**
   * Stores the metric histories of up to 1,000 runs your own code reported (EXTERNAL) and sets their final statuses,
   * in one request and one transaction (at most 1,000,000 points together): what an import sends after submitRuns.
   * All or nothing; a refusal names the run as `runs[i]`. Returns the points stored.
   */
  async finishRuns(
    runs: readonly { runId: string; metrics?: MetricColumnsInput[]; status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'DIVERGED'; error?: string }[],
  ): Promise<number> {
    return (
      await this.request<{ finishRuns: { accepted: number } }>(`mutation($i: FinishRunsInput!) { finishRuns(input: $i) { accepted } }`, {
        i: { runs: runs.map(({ metrics, ...run }) => ({ ...run, metrics: (metrics ?? []).map(packSeries) })) },
      })
    ).finishRuns.accepted;
  }

  /** Appends console lines (numbered from 0 by the caller; a line number stored already is skipped, so retries are safe). */
  async appendRunLog(runId: string, lines: readonly { seq: number; stream: 'STDOUT' | 'STDERR'; text: string; time?: number }[]): Promise<number> {
    return (
      await this.request<{ appendRunLog: { accepted: number } }>(
        `mutation($r: ID!, $l: [RunLogLineInput!]!) { appendRunLog(runId: $r, lines: $l) { accepted } }`,
        {
          r: runId,
          l: lines,
        },
      )
    ).appendRunLog.accepted;
  }

  async setRunStatus(
    runId: string,
    status: Exclude<RunStatus, 'QUEUED'>,
    extra: { error?: string; backend?: string; device?: string; divergedAtStep?: number; divergedLearningRate?: number } = {},
  ) {
    return (
      await this.request<{ setRunStatus: { id: string; status: string } }>(`mutation($i: SetRunStatusInput!) { setRunStatus(input: $i) { id status } }`, {
        i: { runId, status, ...extra },
      })
    ).setRunStatus;
  }

  /** Heartbeat of an EXTERNAL run: it stays RUNNING (a LOST one is RUNNING again). A finished run is left as it is. */
  async touchRun(runId: string) {
    return (await this.request<{ touchRun: { id: string; status: string } }>(`mutation($r: ID!) { touchRun(runId: $r) { id status } }`, { r: runId })).touchRun;
  }

  async run(id: string) {
    return (
      await this.request<{ run: { id: string; name: string; status: string; attempt: number; results: unknown; error: string | null } | null }>(
        `query($id: ID!) { run(id: $id) { id name status attempt results error } }`,
        { id },
      )
    ).run;
  }

  /** Hands a leased run back to the queue without counting the attempt (a worker stopping on purpose). */
  async releaseRun(runId: string, leaseToken: string) {
    return (
      await this.request<{ releaseRun: { id: string; status: string } }>(`mutation($r: ID!, $l: ID!) { releaseRun(runId: $r, leaseToken: $l) { id status } }`, {
        r: runId,
        l: leaseToken,
      })
    ).releaseRun;
  }

  async cancelRun(runId: string) {
    return (await this.request<{ cancelRun: { id: string; status: string } }>(`mutation($r: ID!) { cancelRun(runId: $r) { id status } }`, { r: runId }))
      .cancelRun;
  }

  /**
   * Stops a queued or running run early (a sweep's pruning): it ends PRUNED with the decision recorded. Its worker,
   * or `tuneboard run`, stops it at the next heartbeat; its history stays.
   */
  async pruneRun(runId: string, decision: { reason: string; resource: number; unit?: string; value?: number; cutoff?: number; competitors?: number }) {
    return (
      await this.request<{ pruneRun: { id: string; status: string } }>(
        `mutation($r: ID!, $d: PruningInput!) { pruneRun(runId: $r, decision: $d) { id status } }`,
        {
          r: runId,
          d: decision,
        },
      )
    ).pruneRun;
  }

  /** `teamIds`: the teams whose runs the worker trains; omitted, every team its user may train for now. */
  async registerWorker(
    name: string,
    capabilities: { backend: string; device: string; gpu: boolean; memoryMb?: number; hostname?: string },
    teamIds?: readonly string[],
  ) {
    return (
      await this.request<{ registerWorker: { id: string; teamIds: string[] } }>(
        `mutation($n: String!, $c: WorkerCapabilitiesInput!, $t: [ID!]) { registerWorker(name: $n, capabilities: $c, teamIds: $t) { id teamIds } }`,
        { n: name, c: capabilities, t: teamIds ?? null },
      )
    ).registerWorker;
  }

  async claimRun(workerId: string): Promise<RunLease | null> {
    const { claimRun } = await this.request<{
      claimRun: (Omit<RunLease, 'run'> & { run: Omit<RunLease['run'], 'projectId'> & { project: { id: string } } }) | null;
    }>(
      `mutation($w: ID!) { claimRun(workerId: $w) { leaseToken leaseExpiresAt leaseSeconds attempt run { id name hparams project { id } checkpoint { epoch step path } } } }`,
      {
        w: workerId,
      },
    );
    if (!claimRun) return null;
    const { project, ...run } = claimRun.run;
    return { ...claimRun, run: { ...run, projectId: project.id } };
  }

  async heartbeatRun(runId: string, leaseToken: string) {
    return (
      await this.request<{ heartbeatRun: { cancelled: boolean; pruned: boolean; leaseExpiresAt: string | null } }>(
        `mutation($r: ID!, $l: ID!) { heartbeatRun(runId: $r, leaseToken: $l) { cancelled pruned leaseExpiresAt } }`,
        { r: runId, l: leaseToken },
      )
    ).heartbeatRun;
  }

  /** Records a checkpoint uploaded under `path` (see RunLease.run.checkpoint): a retried attempt resumes from it. */
  async recordCheckpoint(input: { runId: string; leaseToken: string; epoch: number; step: number; path: string }) {
    return (
      await this.request<{ recordCheckpoint: { id: string } }>(`mutation($i: RecordCheckpointInput!) { recordCheckpoint(input: $i) { id } }`, { i: input })
    ).recordCheckpoint;
  }

  async finishRun(input: {
    runId: string;
    leaseToken: string;
    outcome: RunOutcome;
    error?: string;
    divergedAtStep?: number;
    divergedLearningRate?: number;
    results?: unknown;
  }) {
    return (
      await this.request<{ finishRun: { id: string; status: string } }>(`mutation($i: FinishRunInput!) { finishRun(input: $i) { id status } }`, { i: input })
    ).finishRun;
  }
}
