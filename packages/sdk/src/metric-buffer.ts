import type { MetricColumnsInput } from './client';
import { TuneboardError } from './errors';

export interface MetricBufferOptions {
  /** Send when this many points are waiting (default 5,000). */
  maxBatchPoints?: number;
  /** …or when the oldest waiting point is this old (default 1 s). */
  flushIntervalMs?: number;
  /** Attempts per batch for retryable failures, with exponential backoff (default 8: about 25 s in all). */
  maxAttempts?: number;
  /** Points kept while the API is unreachable; beyond it the oldest are dropped and counted (default 5 M). */
  maxBufferedPoints?: number;
  /** Told about a batch that could not be delivered (after retries, or refused as invalid). */
  onError?: (error: Error) => void;
  /** For tests: the backoff's base delay (default 200 ms). */
  retryBaseMs?: number;
}

interface Point {
  key: string;
  step: number;
  value: number;
  wallTime: number;
}

/**
 * Collects metric points and sends them in batches in the background, so `add` never waits on the network.
 * One batch is in flight at a time (points arrive in order); a failed batch is retried with backoff — safe,
 * because the API stores metrics idempotently per (run, key, step).
 */
export class MetricBuffer {
  private pending: Point[] = [];
  private inFlight: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly options: Required<Omit<MetricBufferOptions, 'onError'>> & Pick<MetricBufferOptions, 'onError'>;
  /** Points dropped because the buffer overflowed or a batch was refused. */
  dropped = 0;
  /** Points the API acknowledged. */
  delivered = 0;

  constructor(
    private readonly send: (series: MetricColumnsInput[]) => Promise<unknown>,
    options: MetricBufferOptions = {},
  ) {
    this.options = {
      maxBatchPoints: options.maxBatchPoints ?? 5_000,
      flushIntervalMs: options.flushIntervalMs ?? 1_000,
      maxAttempts: options.maxAttempts ?? 8,
      maxBufferedPoints: options.maxBufferedPoints ?? 5_000_000,
      retryBaseMs: options.retryBaseMs ?? 200,
      onError: options.onError,
    };
  }

  add(key: string, step: number, value: number, wallTime = Date.now()): void {
    this.pending.push({ key, step, value, wallTime });
    if (this.pending.length > this.options.maxBufferedPoints) {
      const excess = this.pending.length - this.options.maxBufferedPoints;
      this.pending.splice(0, excess);
      this.dropped += excess;
    }
    if (this.pending.length >= this.options.maxBatchPoints) this.kick();
    else if (!this.timer) this.timer = setTimeout(() => this.kick(), this.options.flushIntervalMs);
  }

  /** Sends everything added so far and resolves when the API has it (or it was given up on). */
  async flush(): Promise<void> {
    while (this.pending.length > 0 || this.inFlight) {
      this.kick();
      await this.inFlight;
    }
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.inFlight || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.options.maxBatchPoints);
    this.inFlight = this.deliver(batch).finally(() => {
      this.inFlight = null;
      if (this.pending.length >= this.options.maxBatchPoints) this.kick();
      else if (this.pending.length > 0 && !this.timer) this.timer = setTimeout(() => this.kick(), this.options.flushIntervalMs);
    });
  }

  private async deliver(batch: Point[]): Promise<void> {
    const byKey = new Map<string, MetricColumnsInput & { wallTimes: number[] }>();
    for (const p of batch) {
      let columns = byKey.get(p.key);
      if (!columns) byKey.set(p.key, (columns = { key: p.key, steps: [], values: [], wallTimes: [] }));
      columns.steps.push(p.step);
      columns.values.push(p.value);
      columns.wallTimes.push(p.wallTime);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.send([...byKey.values()]);
        this.delivered += batch.length;
        return;
      } catch (error) {
        const retryable = error instanceof TuneboardError ? error.retryable : true;
        if (!retryable || attempt >= this.options.maxAttempts) {
          this.dropped += batch.length;
          this.options.onError?.(error as Error);
          return;
        }
        const delay = Math.min(5_000, this.options.retryBaseMs * 2 ** (attempt - 1)) * (0.75 + Math.random() / 2);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
