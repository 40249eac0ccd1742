import { createHash } from 'node:crypto';
import { packSeries, type MetricColumnsInput, type TuneboardClient } from '../client';
import { TuneboardError } from '../errors';

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
  status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  /** Why it failed, when the source says (else a sentence naming the source). */
  error?: string;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** What could not be read and was left out, in words. */
  problems: string[];
  /** Labels it carries in its source (`key=value` tags), besides the import's own. */
  labels?: string[];
  /** Its notes in its source. */
  notes?: string;
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
  options: {
    project: string;
    team?: string;
    kind: string;
    runs: readonly ImportedRun[];
    onProgress?: (progress: ImportProgress) => void;
    /**
     * How runs are finished: `batch` (default) sends each group's metrics and statuses with one finishRuns;
     * `per-run` with a logMetrics and a setRunStatus per run (aliased, a group per request), as servers before
     * finishRuns need (the import switches to it by itself when the server does not know finishRuns).
     */
    finishing?: Finishing;
  },
): Promise<ImportSummary> {
  const { runs, kind } = options;
  const mode = { finishing: options.finishing ?? 'batch' };
  const project = await client.findOrCreateProject(options.project, options.team, 'INFERRED');
  const kindTag = `import:${kind}`;
  const existing = await importedRuns(client, project.id, kindTag);
  const summary: ImportSummary = { projectId: project.id, imported: 0, completed: 0, alreadyImported: 0, points: 0 };
  let done = 0;
  const report = (run: ImportedRun, outcome: ImportProgress['outcome']) => options.onProgress?.({ done: ++done, total: runs.length, run: run.name, outcome });

  const fresh: ImportedRun[] = [];
  const unfinished: { runId: string; run: ImportedRun }[] = [];
  for (const run of runs) {
    const found = existing.get(sourceTag(run.source));
    if (!found) fresh.push(run);
    else if (found.status === 'RUNNING' || found.status === 'LOST') unfinished.push({ runId: found.id, run });
    else {
      summary.alreadyImported += 1;
      report(run, 'already imported');
    }
  }
  for (const group of finishingGroups(unfinished, mode.finishing)) {
    summary.points += await finish(client, group, mode);
    for (const { run } of group) {
      summary.completed += 1;
      report(run, 'completed');
    }
  }
  // Each batch of runs is created while the one before is being finished: the server works on both at once.
  let finishing: Promise<void> | null = null;
  try {
    for (let i = 0; i < fresh.length; i += RUNS_PER_REQUEST) {
      const batch = fresh.slice(i, i + RUNS_PER_REQUEST);
      const created = await client.submitRuns({
        projectId: project.id,
        execution: 'EXTERNAL',
        runs: batch.map((run) => ({
          name: run.name.slice(0, 200),
          hparamsText: run.configText,
          tags: [kindTag, sourceTag(run.source), ...(run.labels ?? [])],
          notes: `${run.notes ? `${run.notes}\n\n` : ''}Imported from ${run.source}${run.startedAt ? `; started ${run.startedAt.toISOString()}` : ''}${run.finishedAt ? `, last written ${run.finishedAt.toISOString()}` : ''}.`,
        })),
      });
      const groups = finishingGroups(
        created.map(({ run: stored }, k) => ({ runId: stored.id, run: batch[k]! })),
        mode.finishing,
      );
      await finishing;
      finishing = inParallel(groups, FINISHING_AT_ONCE, async (group) => {
        // Awaited first: `points += await …` would read the total before the wait and lose the other groups' points.
        const sent = await finish(client, group, mode);
        summary.points += sent;
        for (const { run } of group) {
          summary.imported += 1;
          report(run, 'imported');
        }
      });
      // Its failure is thrown where it is awaited (above, or below); until then it is not an unhandled rejection.
      finishing.catch(() => {});
    }
    await finishing;
  } catch (error) {
    // Requests still in flight settle before the import reports its failure.
    await finishing?.catch(() => {});
    throw error;
  }
  return summary;
}

/**
 * How a group of runs is finished: with one finishRuns request (its metrics and statuses in one transaction), or
 * with aliased logMetrics fields and then aliased setRunStatus fields (two requests, a dozen statements a run).
 */
export type Finishing = 'batch' | 'per-run';

/** Runs finished with one request (or two, per-run): finishRuns takes up to 1,000, and a group is a transaction. */
const RUNS_PER_FINISH: Record<Finishing, number> = { batch: 50, 'per-run': 25 };
/** Requests of groups in flight at once: they hide each other's round trips. */
const FINISHING_AT_ONCE = 4;

type FinishingRun = { runId: string; run: ImportedRun };

const pointsOf = (run: ImportedRun) => run.series.reduce((n, series) => n + series.points.size, 0);

/** Runs in groups of at most RUNS_PER_FINISH runs and POINTS_PER_REQUEST points (a larger run is a group alone). */
function finishingGroups(items: readonly FinishingRun[], finishing: Finishing): FinishingRun[][] {
  const groups: FinishingRun[][] = [];
  let group: FinishingRun[] = [];
  let points = 0;
  for (const item of items) {
    const size = pointsOf(item.run);
    if (group.length > 0 && (group.length >= RUNS_PER_FINISH[finishing] || points + size > POINTS_PER_REQUEST)) {
      groups.push(group);
      group = [];
      points = 0;
    }
    group.push(item);
    points += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

async function inParallel<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/** A run's final status as the API takes it (a failed run says why). */
const outcomeOf = ({ runId, run }: FinishingRun) => ({
  runId,
  status: run.status,
  ...(run.status === 'FAILED' ? { error: run.error ?? `Recorded as failed in ${run.source}` } : {}),
});

/** A series in the API's columns (a slice of its steps, in step order). */
function columnsOf(series: ImportedSeries, steps: readonly number[]): MetricColumnsInput {
  return {
    key: series.key,
    steps: [...steps],
    values: steps.map((step) => series.points.get(step)!.value),
    wallTimes: steps.map((step) => series.points.get(step)!.wallTime),
  };
}

const sortedSteps = (series: ImportedSeries) => [...series.points.keys()].sort((a, b) => a - b);

/**
 * Finishes a group of runs: their metrics, then their final statuses, so that a run is finished only once all of
 * it is stored (an import stopped in between leaves it running, and the next import completes it). `batch` sends
 * both with one finishRuns, in one transaction; a run of more than POINTS_PER_REQUEST points (a group alone)
 * sends its metrics first as `per-run` does, then finishes. Falls back to `per-run` (for this group and the rest of
 * the import) on a server that does not know finishRuns.
 */
async function finish(client: TuneboardClient, group: readonly FinishingRun[], mode: { finishing: Finishing }): Promise<number> {
  if (mode.finishing === 'batch') {
    const large = group.length === 1 && pointsOf(group[0]!.run) > POINTS_PER_REQUEST;
    try {
      const sent = large ? await logMetricsOf(client, group) : 0;
      return (
        sent +
        (await client.finishRuns(
          group.map((item) => ({ ...outcomeOf(item), ...(large ? {} : { metrics: item.run.series.map((series) => columnsOf(series, sortedSteps(series))) }) })),
        ))
      );
    } catch (error) {
      if (!(error instanceof TuneboardError && error.code === 'GRAPHQL_VALIDATION_FAILED' && /finishRuns/i.test(error.message))) throw error;
      mode.finishing = 'per-run';
    }
  }
  const sent = await logMetricsOf(client, group);
  const variables: Record<string, unknown> = {};
  const statuses = group.map((item, i) => {
    variables[`s${i}`] = outcomeOf(item);
    return `s${i}: setRunStatus(input: $s${i}) { id }`;
  });
  await client.request(`mutation(${group.map((_, i) => `$s${i}: SetRunStatusInput!`).join(', ')}) { ${statuses.join(' ')} }`, variables);
  return sent;
}

/**
 * Sends the metrics of a group of runs as aliased logMetrics fields, one per run of a request (a run of more than
 * POINTS_PER_REQUEST points, alone, in several requests).
 */
async function logMetricsOf(client: TuneboardClient, group: readonly FinishingRun[]): Promise<number> {
  let sent = 0;
  // One logMetrics field per run of a request, holding its series (a series cut at POINTS_PER_REQUEST points).
  let fields: { runId: string; series: MetricColumnsInput[] }[] = [];
  let size = 0;
  const send = async () => {
    if (fields.length === 0) return;
    const variables: Record<string, unknown> = {};
    const selections = fields.map(({ runId, series }, i) => {
      variables[`r${i}`] = runId;
      variables[`p${i}`] = series.map(packSeries);
      return `m${i}: logMetrics(runId: $r${i}, packed: $p${i}) { accepted }`;
    });
    const declared = fields.map((_, i) => `$r${i}: ID!, $p${i}: [PackedMetricSeriesInput!]`).join(', ');
    const data = await client.request<Record<string, { accepted: number }>>(`mutation(${declared}) { ${selections.join(' ')} }`, variables);
    for (const answer of Object.values(data)) sent += answer.accepted;
    fields = [];
    size = 0;
  };
  for (const { runId, run } of group)
    for (const series of run.series) {
      const steps = sortedSteps(series);
      for (let i = 0; i < steps.length; i += POINTS_PER_REQUEST) {
        const chunk = steps.slice(i, i + POINTS_PER_REQUEST);
        if (size + chunk.length > POINTS_PER_REQUEST) await send();
        if (fields.at(-1)?.runId !== runId) fields.push({ runId, series: [] });
        fields.at(-1)!.series.push(columnsOf(series, chunk));
        size += chunk.length;
      }
    }
  await send();
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
