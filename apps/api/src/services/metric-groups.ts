import type { Run } from '@tuneboard/db';
import { bandGrid, groupBand, groupRuns, type AlignedSeries, type Band, type Grouping } from '@tuneboard/findings';
import { stepsPerEpoch, validateRunConfig } from '@tuneboard/hparams';
import { loadProject, readableRunIds } from './access';
import { badUserInput } from './errors';
import { readSeriesColumns } from './metrics';
import type { Scope } from './scope';

/**
 * Runs grouped by configuration (chosen paths, or everything but the seeds) and, per group and metric, a mean line
 * with its band on a common x grid: what the compare view draws for seeds. The series come from one read of the
 * downsampled copies the metrics store keeps (the compare query's readSeries, ≤ SERIES_POINTS points per series,
 * peaks kept); the statistics are packages/findings' bands.ts, whose comment says how x is bucketed.
 */

export type SeriesAlignment = 'STEP' | 'EPOCH' | 'WALL_TIME';

export const MAX_GROUP_RUNS = 1_000;
export const MAX_GROUPS = 100;
export const MAX_GROUP_PATHS = 20;
export const MAX_GROUP_KEYS = 20;
export const MAX_BUCKETS = 1_000;
/** Points of all bands of one answer together (groups × keys × buckets), each carrying 8 numbers. */
export const MAX_BAND_POINTS = 400_000;
/** Points read per series: the compare query's resolution; a 100k-step series answers with its coarse copy (800 points). */
const SERIES_POINTS = 1_000;

export interface MetricGroupsInput {
  projectId: string;
  runIds: readonly string[];
  groupBy: { paths?: readonly string[] | null; allButSeeds?: boolean | null };
  keys?: readonly string[] | null;
  alignment?: SeriesAlignment | null;
  buckets?: number | null;
}

export interface MetricGroupSeries extends Band {
  key: string;
}

export interface MetricGroupAnswer {
  key: string;
  label: string;
  values: Record<string, unknown>;
  runIds: string[];
  count: number;
  series: MetricGroupSeries[];
}

export interface MetricGroups {
  alignment: SeriesAlignment;
  buckets: number;
  groups: MetricGroupAnswer[];
}

function grouping(groupBy: MetricGroupsInput['groupBy']): Grouping {
  const paths = groupBy.paths ?? [];
  if (groupBy.allButSeeds && paths.length > 0)
    throw badUserInput('Group by chosen paths or by everything but the seeds, not both', [{ path: 'groupBy', message: 'give paths or allButSeeds' }]);
  if (groupBy.allButSeeds) return { allButSeeds: true };
  if (paths.length === 0)
    throw badUserInput('Name the paths to group by, or set allButSeeds', [{ path: 'groupBy.paths', message: 'give at least one path, or allButSeeds' }]);
  if (paths.length > MAX_GROUP_PATHS)
    throw badUserInput(`Group by at most ${MAX_GROUP_PATHS} paths`, [{ path: 'groupBy.paths', message: `at most ${MAX_GROUP_PATHS}` }]);
  return { paths: [...new Set(paths)] };
}

export async function metricGroups(scope: Scope, input: MetricGroupsInput): Promise<MetricGroups> {
  const project = await loadProject(scope, input.projectId, 'read');
  const alignment = input.alignment ?? 'STEP';
  const buckets = input.buckets ?? 200;
  const by = grouping(input.groupBy);
  if (!Number.isInteger(buckets) || buckets < 2 || buckets > MAX_BUCKETS)
    throw badUserInput(`buckets must be between 2 and ${MAX_BUCKETS}`, [{ path: 'buckets', message: `must be 2–${MAX_BUCKETS}` }]);
  const ids = [...new Set(input.runIds)];
  if (ids.length > MAX_GROUP_RUNS)
    throw badUserInput(`Group at most ${MAX_GROUP_RUNS.toLocaleString('en')} runs at once; this asks for ${ids.length.toLocaleString('en')}`, [
      { path: 'runIds', message: `at most ${MAX_GROUP_RUNS}` },
    ]);
  if (input.keys && input.keys.length > MAX_GROUP_KEYS)
    throw badUserInput(`Ask for at most ${MAX_GROUP_KEYS} metric keys`, [{ path: 'keys', message: `at most ${MAX_GROUP_KEYS}` }]);

  // Like the compare query, runs the viewer may not read are left out as if they did not exist; so are runs of
  // other projects: a group mixes no projects.
  const readable = await readableRunIds(scope, ids);
  const loaded = await scope.loaders.run.loadMany(readable);
  const runs = loaded.filter((run): run is Run => !(run instanceof Error) && run !== null && run.projectId === project.id);
  const params = new Map(runs.map((run) => [run.id, (run.flatParams ?? {}) as Record<string, unknown>]));
  if ('paths' in by) {
    const unknown = by.paths.filter((path) => !runs.some((run) => path in params.get(run.id)!));
    if (unknown.length > 0 && runs.length > 0)
      throw badUserInput(`No selected run has ${unknown.map((p) => `"${p}"`).join(', ')}; group by a hyperparameter path the runs have`, [
        ...unknown.map((path) => ({ path: `groupBy.paths[${by.paths.indexOf(path)}]`, message: `no selected run has ${path}` })),
      ]);
  }
  const groups = groupRuns(
    runs.map((run) => ({ id: run.id, params: params.get(run.id)! })),
    by,
  );
  if (groups.length > MAX_GROUPS)
    throw badUserInput(`These runs form ${groups.length} groups; at most ${MAX_GROUPS} can be drawn: group by fewer paths or select fewer runs`, [
      { path: 'groupBy', message: `at most ${MAX_GROUPS} groups` },
    ]);

  let perEpoch = new Map<string, number>();
  if (alignment === 'EPOCH') {
    perEpoch = new Map(
      runs.flatMap((run) => {
        const config = validateRunConfig(run.config);
        return config.ok ? [[run.id, stepsPerEpoch(config.config)] as const] : [];
      }),
    );
    const without = runs.filter((run) => !perEpoch.has(run.id));
    if (without.length > 0)
      throw badUserInput(
        `x by epoch needs each run's steps per epoch, which ${without.length === 1 ? `run "${without[0]!.name}" does` : `${without.length} runs do`} not have (not a built-in trainer configuration); align by STEP or WALL_TIME`,
        [{ path: 'alignment', message: 'EPOCH needs built-in trainer runs' }],
      );
  }

  if (runs.length === 0) return { alignment, buckets, groups: [] };
  const series = await readSeriesColumns(scope, {
    runIds: runs.map((run) => run.id),
    keys: input.keys ?? null,
    maxPoints: SERIES_POINTS,
    wallTimes: alignment === 'WALL_TIME',
  });
  const keys = [...new Set(series.map((s) => s.key))].sort();
  if (groups.length * keys.length * buckets > MAX_BAND_POINTS)
    throw badUserInput(
      `${groups.length} groups × ${keys.length} metrics × ${buckets} buckets is more than ${MAX_BAND_POINTS.toLocaleString('en')} band points; ask for fewer keys or buckets`,
      [{ path: 'buckets', message: 'too many band points' }],
    );

  // Each run's x: its steps, its epochs, or seconds since its first logged point (over all keys read).
  const start = new Map<string, number>();
  if (alignment === 'WALL_TIME')
    for (const s of series) if (s.wallTimes!.length > 0) start.set(s.runId, Math.min(start.get(s.runId) ?? Infinity, s.wallTimes![0]!));
  // Per key, each run's series (typed arrays straight from the store: no per-point objects or boxed numbers).
  const byKey = new Map<string, Map<string, AlignedSeries>>(keys.map((key) => [key, new Map()]));
  for (const s of series) {
    let x: ArrayLike<number> = s.steps;
    if (alignment === 'EPOCH') {
      const per = perEpoch.get(s.runId)!;
      const epochs = new Float64Array(s.steps.length);
      for (let i = 0; i < epochs.length; i++) epochs[i] = s.steps[i]! / per;
      x = epochs;
    } else if (alignment === 'WALL_TIME') {
      const first = start.get(s.runId)!;
      const seconds = new Float64Array(s.wallTimes!.length);
      for (let i = 0; i < seconds.length; i++) seconds[i] = (s.wallTimes![i]! - first) / 1000;
      x = seconds;
    }
    byKey.get(s.key)!.set(s.runId, { x, values: s.values });
  }

  const answer: MetricGroupAnswer[] = groups.map((group) => ({ ...group, count: group.runIds.length, series: [] }));
  for (const key of keys) {
    const aligned = byKey.get(key)!;
    const grid = bandGrid([...aligned.values()], buckets);
    if (!grid) continue;
    for (const group of answer) {
      const members = group.runIds.flatMap((runId) => aligned.get(runId) ?? []);
      if (members.length > 0) group.series.push({ key, ...groupBand(members, grid) });
    }
  }
  return { alignment, buckets, groups: answer };
}
