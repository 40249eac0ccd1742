import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { readEventFile, type TensorBoardEvent } from './tfevents';
import { ImportSourceError, type ImportedRun, type ImportedSeries } from './runs';

/**
 * A TensorBoard log directory as Tuneboard runs. A directory whose events hold the HParams plugin's session start is
 * one run with those hyperparameters, and the event files of its subdirectories are its metrics (Keras writes
 * `train/` and `validation/` under the run's directory: `train/epoch_loss`). Without the plugin, each directory
 * holding event files is a run of its own, with an empty config.
 */
export function readTensorBoardLogdir(logdir: string): ImportedRun[] {
  const root = resolve(logdir);
  const byDir = new Map<string, { events: TensorBoardEvent[]; problems: string[] }>();
  for (const dir of eventDirectories(root)) {
    const plugins = new Map<string, string>();
    const events: TensorBoardEvent[] = [];
    const problems: string[] = [];
    for (const file of readdirSync(dir).filter(isEventFile).sort()) {
      const { events: read, truncated } = readSource(join(dir, file), (bytes) => readEventFile(bytes, plugins));
      events.push(...read);
      if (truncated) problems.push(`${join(relative(root, dir), file)} ends inside a record (a writer stopped mid-write); its complete records were read`);
    }
    byDir.set(dir, { events, problems });
  }
  const sessions = [...byDir].filter(([, { events }]) => events.some((e) => e.sessionStart)).map(([dir]) => dir);
  // Each event directory belongs to the nearest session at or above it, else is a run of its own.
  const owner = (dir: string) => sessions.filter((s) => dir === s || dir.startsWith(s + sep)).sort((a, b) => b.length - a.length)[0] ?? dir;
  const runs = new Map<string, string[]>();
  for (const dir of byDir.keys()) runs.set(owner(dir), [...(runs.get(owner(dir)) ?? []), dir]);
  return [...runs].map(([runDir, dirs]) => toRun(root, runDir, dirs, byDir));
}

function toRun(root: string, runDir: string, dirs: string[], byDir: Map<string, { events: TensorBoardEvent[]; problems: string[] }>): ImportedRun {
  const series = new Map<string, ImportedSeries>();
  const problems: string[] = [];
  let hparams: Record<string, unknown> = {};
  let status: ImportedRun['status'] = 'SUCCEEDED';
  let first = Infinity;
  let last = -Infinity;
  let skippedSteps = 0;
  for (const dir of dirs.sort()) {
    const { events, problems: found } = byDir.get(dir)!;
    problems.push(...found);
    const prefix = dir === runDir ? '' : `${relative(runDir, dir).split(sep).join('/')}/`;
    for (const event of events) {
      if (event.wallTime > 0) {
        first = Math.min(first, event.wallTime);
        last = Math.max(last, event.wallTime);
      }
      if (event.sessionStart) hparams = event.sessionStart.hparams;
      if (event.sessionEnd?.status === 'FAILURE') status = 'FAILED';
      for (const { tag, value } of event.scalars) {
        if (!Number.isInteger(event.step) || event.step < 0 || event.step > 2_147_483_647) {
          skippedSteps += 1;
          continue;
        }
        const key = prefix + tag;
        let target = series.get(key);
        if (!target) series.set(key, (target = { key, points: new Map() }));
        // A step written twice (a resumed writer) keeps its last value, as TensorBoard shows it.
        target.points.set(event.step, { value, wallTime: event.wallTime * 1000 });
      }
    }
  }
  if (skippedSteps > 0) problems.push(`${skippedSteps} scalar values at steps outside 0…2^31−1 were skipped`);
  const name = relative(root, runDir).split(sep).join('/') || basename(root);
  return {
    source: `tensorboard:${runDir}`,
    name,
    // The plugin stores every number as a double: JSON writes whole ones as integers (batch_size 32, not 32.0).
    configText: JSON.stringify(hparams),
    series: [...series.values()],
    status,
    startedAt: Number.isFinite(first) ? new Date(first * 1000) : null,
    finishedAt: Number.isFinite(last) ? new Date(last * 1000) : null,
    problems,
  };
}

const isEventFile = (name: string) => name.includes('tfevents');

/** Directories under root (root included) that hold event files; symbolic links are not followed. */
function eventDirectories(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && isEventFile(e.name))) found.push(dir);
    for (const entry of entries) if (entry.isDirectory()) walk(join(dir, entry.name));
  };
  walk(root);
  return found;
}

/** A file read with `parse`; what cannot be read is an ImportSourceError that names the file. */
function readSource<T>(path: string, parse: (bytes: Uint8Array) => T): T {
  try {
    return parse(readFileSync(path));
  } catch (error) {
    throw new ImportSourceError(`${path}: ${(error as Error).message}`, { cause: error });
  }
}
