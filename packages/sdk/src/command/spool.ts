import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricColumnsInput, TuneboardClient } from '../client';
import type { FinalStatus } from '../run-status';

/**
 * The disk buffer of a `tuneboard run`: everything the command produced (console lines, metric points, the final
 * status) is appended to a journal on disk before it is sent, and a counter of what the API acknowledged is kept
 * beside it. A network outage or an API restart only delays sending; a `tuneboard run` that had to give up leaves
 * the journal for `tuneboard sync`. Resending is safe: log lines are stored once per line number and metric points
 * once per (key, step).
 */

export type SpoolRecord =
  | { t: 'log'; seq: number; stream: 'STDOUT' | 'STDERR'; text: string; time: number }
  // Non-finite values are written as text ("NaN", "Infinity"): JSON has no spelling for them.
  | { t: 'metric'; key: string; step: number; value: number | string; time: number }
  | { t: 'end'; status: FinalStatus; error?: string; divergedAtStep?: number };

export interface SpoolMeta {
  runId: string;
  runName: string;
  apiUrl: string;
  /** The `tuneboard run` process writing the journal; `tuneboard sync` leaves a live one's journal alone. */
  pid: number;
  createdAt: string;
}

/** Records per request: a few hundred KB of JSON, far inside the API's body and batch limits. */
const RECORDS_PER_SEND = 5_000;
/** Once everything is acknowledged, a journal larger than this is emptied (a long run would otherwise fill the disk). */
const COMPACT_BYTES = 8 * 1024 * 1024;

const SEND_BATCH = /* GraphQL */ `
  mutation ($r: ID!, $lines: [RunLogLineInput!]!, $series: [MetricSeriesInput!], $withLines: Boolean!, $withMetrics: Boolean!) {
    appendRunLog(runId: $r, lines: $lines) @include(if: $withLines) {
      accepted
    }
    logMetrics(runId: $r, series: $series) @include(if: $withMetrics) {
      accepted
    }
  }
`;

export class Spool {
  /** Records appended but not yet on disk (written at the next `persist`). */
  private unwritten: SpoolRecord[] = [];
  /** Records not yet acknowledged by the API, oldest first (on disk, or in `unwritten`). */
  private unsent: SpoolRecord[];

  private constructor(
    readonly dir: string,
    readonly meta: SpoolMeta,
    unsent: SpoolRecord[],
    private sentCount: number,
  ) {
    this.unsent = unsent;
  }

  static create(root: string, meta: SpoolMeta): Spool {
    const dir = join(root, meta.runId);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'run.json'), JSON.stringify(meta, null, 2));
    writeFileSync(join(dir, 'journal.jsonl'), '');
    writeFileSync(join(dir, 'sent'), '0');
    return new Spool(dir, meta, [], 0);
  }

  /** A journal left on disk, with what was not acknowledged. A torn last line (a crash mid-write) is skipped. */
  static open(dir: string): Spool {
    const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as SpoolMeta;
    const records: SpoolRecord[] = [];
    for (const line of readFileSync(join(dir, 'journal.jsonl'), 'utf8').split('\n')) {
      if (line === '') continue;
      try {
        records.push(JSON.parse(line) as SpoolRecord);
      } catch {
        // Only the last line can be torn; what it held was never acknowledged and is gone with the crash.
      }
    }
    const sent = Number(readFileSync(join(dir, 'sent'), 'utf8')) || 0;
    return new Spool(dir, meta, records.slice(Math.min(sent, records.length)), Math.min(sent, records.length));
  }

  /** Journals under `root` (one directory per run). */
  static list(root: string): string[] {
    if (!existsSync(root)) return [];
    return readdirSync(root)
      .map((name) => join(root, name))
      .filter((dir) => existsSync(join(dir, 'run.json')));
  }

  get pending(): number {
    return this.unsent.length;
  }

  append(record: SpoolRecord): void {
    this.unwritten.push(record);
    this.unsent.push(record);
  }

  /** Writes what was appended since the last call to the journal. */
  persist(): void {
    if (this.unwritten.length === 0) return;
    appendFileSync(join(this.dir, 'journal.jsonl'), this.unwritten.map((r) => JSON.stringify(r) + '\n').join(''));
    this.unwritten = [];
  }

  /**
   * Sends the oldest unacknowledged records (console lines and metric points in one request; the final status
   * alone, once everything before it is stored) and records the acknowledgement on disk. Throws what the API
   * or the network threw; nothing is marked sent then.
   */
  async sendNext(client: TuneboardClient): Promise<number> {
    this.persist();
    if (this.unsent.length === 0) return 0;
    const head = this.unsent[0]!;
    let taken: number;
    if (head.t === 'end') {
      await finalStatus(client, this.meta.runId, head);
      taken = 1;
    } else {
      const end = this.unsent.findIndex((r) => r.t === 'end');
      const batch = this.unsent.slice(0, Math.min(RECORDS_PER_SEND, end === -1 ? this.unsent.length : end));
      await sendBatch(client, this.meta.runId, batch);
      taken = batch.length;
    }
    this.unsent.splice(0, taken);
    this.sentCount += taken;
    writeFileSync(join(this.dir, 'sent'), String(this.sentCount));
    this.compactIfDone();
    return taken;
  }

  /** Deletes the journal (everything was acknowledged). */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private compactIfDone(): void {
    if (this.unsent.length > 0) return;
    const journal = join(this.dir, 'journal.jsonl');
    if (statSync(journal).size < COMPACT_BYTES) return;
    // Journal first: a crash in between leaves `sent` past the end, which `open` reads as "all sent".
    truncateSync(journal, 0);
    writeFileSync(join(this.dir, 'sent'), '0');
    this.sentCount = 0;
  }
}

async function sendBatch(client: TuneboardClient, runId: string, batch: readonly SpoolRecord[]): Promise<void> {
  const lines: { seq: number; stream: string; text: string; time: number }[] = [];
  // Per key: the columns, and where each step sits in them (a step logged twice in one batch keeps its last value,
  // as the API does across batches).
  const series = new Map<string, { columns: MetricColumnsInput & { wallTimes: number[] }; at: Map<number, number> }>();
  for (const record of batch) {
    if (record.t === 'log') lines.push({ seq: record.seq, stream: record.stream, text: record.text, time: record.time });
    else if (record.t === 'metric') {
      let entry = series.get(record.key);
      if (!entry) series.set(record.key, (entry = { columns: { key: record.key, steps: [], values: [], wallTimes: [] }, at: new Map() }));
      const { columns, at } = entry;
      const value = typeof record.value === 'string' ? Number(record.value) : record.value;
      const index = at.get(record.step);
      if (index !== undefined) {
        columns.values[index] = value;
        columns.wallTimes[index] = record.time;
        continue;
      }
      at.set(record.step, columns.steps.length);
      columns.steps.push(record.step);
      columns.values.push(value);
      columns.wallTimes.push(record.time);
    }
  }
  // JSON numbers cannot say NaN or ±Infinity; MetricSeriesInput's values take those as strings.
  const packed = [...series.values()].map(({ columns }) => ({ ...columns, values: columns.values.map((v) => (Number.isFinite(v) ? v : String(v))) }));
  await client.request(SEND_BATCH, { r: runId, lines, series: packed, withLines: lines.length > 0, withMetrics: packed.length > 0 });
}

async function finalStatus(client: TuneboardClient, runId: string, end: Extract<SpoolRecord, { t: 'end' }>): Promise<void> {
  try {
    await client.setRunStatus(runId, end.status, {
      ...(end.error !== undefined ? { error: end.error } : {}),
      ...(end.divergedAtStep !== undefined ? { divergedAtStep: end.divergedAtStep } : {}),
    });
  } catch (error) {
    // Cancelled or pruned in the dashboard (or finished by a retry that was answered late): the run already has a final status.
    if ((error as { code?: string }).code === 'CONFLICT') return;
    throw error;
  }
}
