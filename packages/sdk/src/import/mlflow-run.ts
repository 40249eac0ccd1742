import { inferParamText, typedLeafJson } from '@tuneboard/hparams';
import type { ImportedRun, ImportedSeries } from './runs';

// What an MLflow run becomes in Tuneboard, whichever way it was read (the mlruns/ file store or a server's REST
// API): the same status mapping, name, typed config, labels and notes.

/** MLflow's RunStatus by name; the file store writes its number (RUNNING = 1 … KILLED = 5). */
const STATUS_NAMES = ['', 'RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];
const STATUS: Record<string, { status: ImportedRun['status']; error?: string }> = {
  RUNNING: { status: 'FAILED', error: 'It was still RUNNING in MLflow when imported (its process may have died).' },
  SCHEDULED: { status: 'FAILED', error: 'It was SCHEDULED in MLflow and never ran.' },
  FINISHED: { status: 'SUCCEEDED' },
  FAILED: { status: 'FAILED' },
  KILLED: { status: 'CANCELLED' },
};

export interface MlflowRunFields {
  source: string;
  runId: string;
  runName?: string | undefined;
  /** A RunStatus name, or the file store's number as text. */
  status?: string | undefined;
  startTime?: string | number | null | undefined;
  endTime?: string | number | null | undefined;
  params: readonly { key: string; value: string }[];
  tags: ReadonlyMap<string, string>;
  series: ImportedSeries[];
  problems: string[];
}

export function importedMlflowRun(fields: MlflowRunFields): ImportedRun {
  const { tags } = fields;
  const statusName = /^\d+$/.test(fields.status ?? '') ? STATUS_NAMES[Number(fields.status)] : fields.status;
  const mapped = STATUS[statusName ?? ''] ?? { status: 'FAILED' as const, error: `Its MLflow status (${fields.status ?? 'none'}) is unknown.` };
  const note = tags.get('mlflow.note.content');
  return {
    source: fields.source,
    name: tags.get('mlflow.runName') || fields.runName || fields.runId,
    // Params are text in MLflow; typed here as an inferred schema reads them ("32" → 32, "2.0" stays a float).
    configText: `{${fields.params.map((p) => `${JSON.stringify(p.key)}: ${typedLeafJson(inferParamText(p.value))}`).join(', ')}}`,
    series: fields.series,
    status: mapped.status,
    ...(mapped.error ? { error: mapped.error } : {}),
    startedAt: timeOf(fields.startTime, false),
    finishedAt: timeOf(fields.endTime, true),
    problems: fields.problems,
    // Other tags as `key=value` labels (Tuneboard's labels hold 64 characters; a run 50).
    labels: [...tags]
      .filter(([key]) => !key.startsWith('mlflow.') && !key.startsWith('tuneboard.'))
      .map(([key, value]) => `${key}=${value}`)
      .filter((label) => label.length <= 64 && label.trim() !== '')
      .slice(0, 40),
    // Tuneboard's notes hold 100,000 characters; the import adds a line of its own.
    ...(note ? { notes: note.slice(0, 90_000) } : {}),
  };
}

/** A time in ms since the epoch, as MLflow writes it (a number, or text; `null` or 0 for none at the end). */
function timeOf(value: string | number | null | undefined, endTime: boolean): Date | null {
  if (value === null || value === undefined || value === '' || value === 'null') return null;
  const ms = Number(value);
  return Number.isFinite(ms) && (!endTime || ms > 0) ? new Date(ms) : null;
}
