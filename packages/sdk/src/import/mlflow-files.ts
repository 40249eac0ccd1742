import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { importedMlflowRun } from './mlflow-run';
import { ImportSourceError, type ImportedRun, type ImportedSeries } from './runs';

/**
 * An MLflow file store (the `mlruns/` directory `mlflow` writes when no tracking server is set) as Tuneboard runs,
 * experiment by experiment. Layout: `<experiment id>/meta.yaml`, and per run `<run id>/meta.yaml`, `params/<key>`
 * (the value as text), `metrics/<key>` (lines of `timestamp value step`), `tags/<key>`; keys with `/` are
 * subdirectories. Deleted experiments and runs (lifecycle_stage deleted, `.trash`) are left out.
 */
export interface MlflowExperiment {
  id: string;
  name: string;
  runs: ImportedRun[];
  /** Runs left out (deleted), by name. */
  deleted: string[];
}

export function readMlflowFileStore(root: string): MlflowExperiment[] {
  const store = resolve(root);
  const experiments: MlflowExperiment[] = [];
  for (const entry of readdirSync(store, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name === 'models') continue;
    const dir = join(store, entry.name);
    if (!existsSync(join(dir, 'meta.yaml'))) continue;
    const meta = readMeta(join(dir, 'meta.yaml'));
    if (meta.lifecycle_stage === 'deleted') continue;
    const experiment: MlflowExperiment = { id: meta.experiment_id ?? entry.name, name: meta.name || `experiment ${entry.name}`, runs: [], deleted: [] };
    for (const runEntry of readdirSync(dir, { withFileTypes: true })) {
      if (!runEntry.isDirectory() || !existsSync(join(dir, runEntry.name, 'meta.yaml'))) continue;
      const run = readRun(join(dir, runEntry.name));
      if (run.deleted) experiment.deleted.push(run.run.name);
      else experiment.runs.push(run.run);
    }
    experiment.runs.sort((a, b) => (a.startedAt?.getTime() ?? 0) - (b.startedAt?.getTime() ?? 0) || a.name.localeCompare(b.name));
    experiments.push(experiment);
  }
  return experiments.sort((a, b) => Number(a.id) - Number(b.id) || a.id.localeCompare(b.id));
}

function readRun(dir: string): { run: ImportedRun; deleted: boolean } {
  const meta = readMeta(join(dir, 'meta.yaml'));
  const runId = meta.run_id || meta.run_uuid || dir.split('/').pop()!;
  const params = readKeyFiles(join(dir, 'params'));
  const tags = readKeyFiles(join(dir, 'tags'));
  const problems: string[] = [];
  const series: ImportedSeries[] = [];
  let skipped = 0;
  for (const [key, text] of readKeyFiles(join(dir, 'metrics'))) {
    const points = new Map<number, { value: number; wallTime: number }>();
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const [time, value, step = '0'] = line.trim().split(/\s+/);
      const parsed = { time: Number(time), value: pythonFloat(value ?? ''), step: Number(step) };
      if (
        !Number.isFinite(parsed.time) ||
        Number.isNaN(parsed.step) ||
        !Number.isInteger(parsed.step) ||
        parsed.step < 0 ||
        parsed.step > 2_147_483_647 ||
        value === undefined
      ) {
        skipped += 1;
        continue;
      }
      // MLflow keeps every (timestamp, step) pair; Tuneboard one value a step: the last one written.
      points.set(parsed.step, { value: parsed.value, wallTime: parsed.time });
    }
    series.push({ key, points });
  }
  if (skipped > 0) problems.push(`${skipped} metric lines that are not "timestamp value step" with a step from 0 to 2^31−1 were skipped`);
  return {
    deleted: meta.lifecycle_stage === 'deleted',
    run: importedMlflowRun({
      source: `mlflow:${resolve(dir)}`,
      runId,
      runName: meta.run_name,
      status: meta.status,
      startTime: meta.start_time,
      endTime: meta.end_time,
      params: [...params].map(([key, value]) => ({ key, value })),
      tags,
      series,
      problems,
    }),
  };
}

/** Python's float text: `nan`, `inf` and `-inf` as well as numbers. */
function pythonFloat(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === 'inf' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) throw new ImportSourceError(`"${text}" is not a metric value`);
  return value;
}

/** Files under dir as key → content; a key with `/` is a path of subdirectories (`train/loss`). */
function readKeyFiles(dir: string, prefix = ''): Map<string, string> {
  const found = new Map<string, string>();
  if (!existsSync(dir)) return found;
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const key = prefix + entry.name;
    if (entry.isDirectory()) for (const [k, v] of readKeyFiles(join(dir, entry.name), `${key}/`)) found.set(k, v);
    else if (entry.isFile()) found.set(key, readFileSync(join(dir, entry.name), 'utf8'));
  }
  return found;
}

/**
 * The flat `key: value` lines of an MLflow meta.yaml (what yaml.safe_dump writes for these files): plain, single-
 * or double-quoted scalars. Nested values (`tags: []`) are not needed and are skipped.
 */
export function readMeta(path: string): Record<string, string | undefined> {
  const meta: Record<string, string | undefined> = Object.create(null) as Record<string, string | undefined>;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ImportSourceError(`${path}: ${(error as Error).message}`, { cause: error });
  }
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_][\w]*):\s*(.*)$/.exec(line);
    if (!match) continue;
    const raw = match[2]!.trim();
    let value = raw;
    if (raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2) value = raw.slice(1, -1).replace(/''/g, "'");
    else if (raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        value = raw.slice(1, -1);
      }
    }
    meta[match[1]!] = value;
  }
  return meta;
}

// ---- writing ----

/** A run to write into an MLflow file store (writeMlflowFileStore). */
export interface MlrunsRun {
  id: string;
  name: string;
  status?: number;
  deleted?: boolean;
  start?: number;
  end?: number;
  params?: Record<string, string>;
  metrics?: Record<string, [time: number, value: string, step: number][]>;
  tags?: Record<string, string>;
}

const put = (path: string, text: string) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
};

/**
 * Writes an MLflow file store as `mlflow` 2.x does (meta.yaml as yaml.safe_dump writes it, one file per param,
 * metric and tag): what tests and benchmarks import, without Python.
 */
export function writeMlflowFileStore(root: string, experiments: { id: string; name: string; runs: MlrunsRun[] }[]): void {
  for (const experiment of experiments) {
    const dir = join(root, experiment.id);
    put(
      join(dir, 'meta.yaml'),
      `artifact_location: file://${dir}\ncreation_time: 1764000000000\nexperiment_id: '${experiment.id}'\nlast_update_time: 1764000000000\nlifecycle_stage: active\nname: ${experiment.name}\n`,
    );
    for (const run of experiment.runs) {
      const runDir = join(dir, run.id);
      put(
        join(runDir, 'meta.yaml'),
        [
          `artifact_uri: file://${runDir}/artifacts`,
          `end_time: ${run.end ?? 'null'}`,
          `entry_point_name: ''`,
          `experiment_id: '${experiment.id}'`,
          `lifecycle_stage: ${run.deleted ? 'deleted' : 'active'}`,
          `run_id: ${run.id}`,
          `run_name: ${run.name}`,
          `run_uuid: ${run.id}`,
          `source_name: ''`,
          `source_type: 4`,
          `source_version: ''`,
          `start_time: ${run.start ?? 1764000000000}`,
          `status: ${run.status ?? 3}`,
          `tags: []`,
          `user_id: alice`,
          '',
        ].join('\n'),
      );
      for (const [key, value] of Object.entries(run.params ?? {})) put(join(runDir, 'params', key), value);
      for (const [key, points] of Object.entries(run.metrics ?? {}))
        put(join(runDir, 'metrics', key), points.map(([time, value, step]) => `${time} ${value} ${step}\n`).join(''));
      for (const [key, value] of Object.entries({ 'mlflow.runName': run.name, 'mlflow.user': 'alice', ...run.tags })) put(join(runDir, 'tags', key), value);
      mkdirSync(join(runDir, 'artifacts'), { recursive: true });
    }
  }
}
