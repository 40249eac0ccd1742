import type { MlflowExperiment } from './mlflow-files';
import { importedMlflowRun } from './mlflow-run';
import { ImportSourceError, type ImportedRun, type ImportedSeries } from './runs';

/**
 * A running MLflow tracking server read over its REST API (experiments/search, runs/search, metrics/get-history,
 * paged), as the same ImportedRuns the file-store reader gives. Credentials as MLflow's own client takes them: a
 * bearer token, or a user name and password (basic auth).
 */
export interface MlflowServer {
  /** The tracking URI, e.g. http://mlflow:5000 */
  url: string;
  token?: string;
  username?: string;
  password?: string;
  fetch?: typeof fetch;
}

interface RestRun {
  info: { run_id: string; run_name?: string; status?: string; start_time?: string | number; end_time?: string | number; lifecycle_stage?: string };
  data?: { params?: { key: string; value: string }[]; tags?: { key: string; value: string }[]; metrics?: { key: string }[] };
}

export async function readMlflowServer(server: MlflowServer, options: { experiment?: string } = {}): Promise<MlflowExperiment[]> {
  const base = server.url.replace(/\/+$/, '');
  const call = async <T>(endpoint: string, init: { method: 'GET' | 'POST'; body?: unknown; query?: Record<string, string> }): Promise<T> => {
    const url = `${base}/api/2.0/mlflow/${endpoint}${init.query ? `?${new URLSearchParams(init.query)}` : ''}`;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (server.token) headers.authorization = `Bearer ${server.token}`;
    else if (server.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${server.username}:${server.password ?? ''}`).toString('base64')}`;
    let response: Response;
    try {
      response = await (server.fetch ?? fetch)(url, { method: init.method, headers, ...(init.body ? { body: JSON.stringify(init.body) } : {}) });
    } catch (error) {
      throw new ImportSourceError(`Cannot reach the MLflow server at ${base}: ${(error as Error).message}`, { cause: error });
    }
    const text = await response.text();
    if (!response.ok) {
      let detail = text.slice(0, 300);
      try {
        const body = JSON.parse(text) as { error_code?: string; message?: string };
        if (body.error_code) detail = `${body.error_code}: ${body.message ?? ''}`;
      } catch {
        // Not MLflow's JSON error body: its first characters say what answered.
      }
      throw new ImportSourceError(`The MLflow server at ${base} answered ${endpoint} with HTTP ${response.status} (${detail})`);
    }
    try {
      // Non-finite metric values come as "NaN" / "Infinity" strings (protobuf's JSON mapping); Number() reads them.
      return JSON.parse(text) as T;
    } catch {
      throw new ImportSourceError(`The MLflow server at ${base} answered ${endpoint} with something that is not JSON`);
    }
  };

  const experiments: { experiment_id: string; name: string }[] = [];
  let token: string | undefined;
  do {
    const page: { experiments?: { experiment_id: string; name: string }[]; next_page_token?: string } = await call('experiments/search', {
      method: 'POST',
      body: { max_results: 1000, view_type: 'ACTIVE_ONLY', ...(token ? { page_token: token } : {}) },
    });
    experiments.push(...(page.experiments ?? []));
    token = page.next_page_token || undefined;
  } while (token);
  const chosen =
    options.experiment === undefined ? experiments : experiments.filter((e) => e.experiment_id === options.experiment || e.name === options.experiment);

  const result: MlflowExperiment[] = [];
  for (const experiment of chosen) {
    const runs: ImportedRun[] = [];
    let runToken: string | undefined;
    do {
      const page: { runs?: RestRun[]; next_page_token?: string } = await call('runs/search', {
        method: 'POST',
        body: { experiment_ids: [experiment.experiment_id], max_results: 1000, run_view_type: 'ACTIVE_ONLY', ...(runToken ? { page_token: runToken } : {}) },
      });
      for (const run of page.runs ?? []) runs.push(await readRun(experiment.experiment_id, run));
      runToken = page.next_page_token || undefined;
    } while (runToken);
    result.push({ id: experiment.experiment_id, name: experiment.name, runs, deleted: [] });
  }
  return result;

  async function readRun(experimentId: string, rest: RestRun): Promise<ImportedRun> {
    const { info, data = {} } = rest;
    const tags = new Map((data.tags ?? []).map((tag) => [tag.key, tag.value]));
    const series: ImportedSeries[] = [];
    const problems: string[] = [];
    for (const key of new Set((data.metrics ?? []).map((m) => m.key))) {
      const points = new Map<number, { value: number; wallTime: number }>();
      let skipped = 0;
      let page: string | undefined;
      do {
        const history: { metrics?: { value: number | string; timestamp: string | number; step?: string | number }[]; next_page_token?: string } = await call(
          'metrics/get-history',
          { method: 'GET', query: { run_id: info.run_id, metric_key: key, max_results: '25000', ...(page ? { page_token: page } : {}) } },
        );
        for (const point of history.metrics ?? []) {
          const step = Number(point.step ?? 0);
          if (!Number.isInteger(step) || step < 0 || step > 2_147_483_647) {
            skipped += 1;
            continue;
          }
          points.set(step, { value: Number(point.value), wallTime: Number(point.timestamp) });
        }
        page = history.next_page_token || undefined;
      } while (page);
      if (skipped > 0) problems.push(`${key}: ${skipped} points at steps outside 0…2^31−1 were skipped`);
      series.push({ key, points });
    }
    return importedMlflowRun({
      source: `mlflow-server:${base}/#/experiments/${experimentId}/runs/${info.run_id}`,
      runId: info.run_id,
      runName: info.run_name,
      status: info.status,
      startTime: info.start_time,
      endTime: info.end_time,
      params: data.params ?? [],
      tags,
      series,
      problems,
    });
  }
}
