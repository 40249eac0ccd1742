import { createHash } from 'node:crypto';
import type { TuneboardClient } from '../client';

/** A source file that cannot be read (corrupted, malformed): the message names the file and what is wrong. */
export class ImportSourceError extends Error {
  override name = 'ImportSourceError';
}

/** A run read from another tracker's files, ready to import. */
export interface ImportedRun {
  /** Where it came from (`tensorboard:/abs/dir`): the same run read again has the same source. */
  source: string;
  name: string;
  /** Its hyperparameters as JSON text (an inferred project learns their types). */
  configText: string;
  series: ImportedSeries[];
  status: 'SUCCEEDED' | 'FAILED';
  startedAt: Date | null;
  finishedAt: Date | null;
  /** What could not be read and was left out, in words. */
  problems: string[];
}

export interface ImportedSeries {
  key: string;
  /** Value and wall time (ms) by step. */
  points: Map<number, { value: number; wallTime: number }>;
}

export interface ImportProgress {
  done: number;
  total: number;
  run: string;
  outcome: 'imported' | 'completed' | 'already imported';
}

export interface ImportSummary {
  projectId: string;
  imported: number;
  /** Runs a stopped import had created but not finished: their metrics sent again (idempotent) and finished. */
  completed: number;
  alreadyImported: number;
  points: number;
}

/** Runs created with one submitRuns request: small configs, well under the API's limit of 1,000. */
const RUNS_PER_REQUEST = 200;
/** Metric points per logMetrics request (packed: 12–20 bytes a point). */
const POINTS_PER_REQUEST = 200_000;

/** The tag that links a run to its source, so that importing again skips it (tags are at most 64 characters). */
export const sourceTag = (source: string) => `src:${createHash('sha256').update(source).digest('hex').slice(0, 16)}`;

/**
 * Imports runs into a project (an inferred one, created if missing), idempotently and resumably: each run is
 * tagged with its source and `import:<kind>`, its metrics are sent, and only then is it finished. Importing again
 * skips finished runs and completes the ones a stopped import left running (metrics are idempotent per step).
 */
export async function importRuns(
  client: TuneboardClient,
  options: { project: string; team?: string; kind: string; runs: readonly ImportedRun[]; onProgress?: (progress: ImportProgress) => void },
): Promise<ImportSummary> {
  const { runs, kind } = options;
  const project = await client.findOrCreateProject(options.project, options.team, 'INFERRED');
  const kindTag = `import:${kind}`;
  const existing = await importedRuns(client, project.id, kindTag);
  const summary: ImportSummary = { projectId: project.id, imported: 0, completed: 0, alreadyImported: 0, points: 0 };
  let done = 0;
  const report = (run: ImportedRun, outcome: ImportProgress['outcome']) => options.onProgress?.({ done: ++done, total: runs.length, run: run.name, outcome });

  const fresh: ImportedRun[] = [];
  for (const run of runs) {
    const found = existing.get(sourceTag(run.source));
    if (!found) fresh.push(run);
    else if (found.status === 'RUNNING' || found.status === 'LOST') {
      summary.points += await finish(client, found.id, run);
      summary.completed += 1;
      report(run, 'completed');
    } else {
      summary.alreadyImported += 1;
      report(run, 'already imported');
    }
  }
  for (let i = 0; i < fresh.length; i += RUNS_PER_REQUEST) {
    const batch = fresh.slice(i, i + RUNS_PER_REQUEST);
    const created = await client.submitRuns({
      projectId: project.id,
      execution: 'EXTERNAL',
      runs: batch.map((run) => ({
        name: run.name.slice(0, 200),
        hparamsText: run.configText,
        tags: [kindTag, sourceTag(run.source)],
        notes: `Imported from ${run.source}${run.startedAt ? `; started ${run.startedAt.toISOString()}` : ''}${run.finishedAt ? `, last written ${run.finishedAt.toISOString()}` : ''}.`,
      })),
    });
    for (const [k, { run: stored }] of created.entries()) {
      summary.points += await finish(client, stored.id, batch[k]!);
      summary.imported += 1;
      report(batch[k]!, 'imported');
    }
  }
  return summary;
}

/** Sends a run's metrics and then its final status: a run is finished only once everything of it is stored. */
async function finish(client: TuneboardClient, runId: string, run: ImportedRun): Promise<number> {
  let sent = 0;
  let request: { key: string; steps: number[]; values: number[]; wallTimes: number[] }[] = [];
  let size = 0;
  const flush = async () => {
    if (size > 0) sent += await client.logMetrics(runId, request);
    request = [];
    size = 0;
  };
  for (const series of run.series) {
    const steps = [...series.points.keys()].sort((a, b) => a - b);
    for (let i = 0; i < steps.length; i += POINTS_PER_REQUEST) {
      const chunk = steps.slice(i, i + POINTS_PER_REQUEST);
      if (size + chunk.length > POINTS_PER_REQUEST) await flush();
      request.push({
        key: series.key,
        steps: chunk,
        values: chunk.map((step) => series.points.get(step)!.value),
        wallTimes: chunk.map((step) => series.points.get(step)!.wallTime),
      });
      size += chunk.length;
    }
  }
  await flush();
  await client.setRunStatus(runId, run.status, run.status === 'FAILED' ? { error: `Recorded as failed in ${run.source}` } : {});
  return sent;
}

/** The project's runs imported from this kind of source, by their source tag. */
async function importedRuns(client: TuneboardClient, projectId: string, kindTag: string): Promise<Map<string, { id: string; status: string }>> {
  const found = new Map<string, { id: string; status: string }>();
  let after: string | null = null;
  for (;;) {
    const page: { runs: { edges: { node: { id: string; status: string; tags: string[] } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } =
      await client.request(
        `query($p: ID!, $f: String, $a: String) { runs(projectId: $p, filter: $f, first: 500, after: $a) { edges { node { id status tags } } pageInfo { hasNextPage endCursor } } }`,
        { p: projectId, f: `tags has ${JSON.stringify(kindTag)}`, a: after },
      );
    for (const { node } of page.runs.edges) for (const tag of node.tags) if (tag.startsWith('src:')) found.set(tag, { id: node.id, status: node.status });
    if (!page.runs.pageInfo.hasNextPage) return found;
    after = page.runs.pageInfo.endCursor;
  }
}
