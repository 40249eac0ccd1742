import type { Store } from '@tuneboard/db';
import type { Logger } from 'pino';

/**
 * Run events (status changes, appended metrics) travel through PostgreSQL NOTIFY, so a subscriber connected
 * to one API replica hears about a metric batch written through another. The payload stays small (NOTIFY
 * allows 8000 bytes): it names what changed, and each subscription reads the new points itself.
 */

export type RunEventMessage =
  | { kind: 'STATUS_CHANGED'; runId: string; status: string }
  | { kind: 'METRICS_APPENDED'; runId: string; keys: string[]; fromStep: number; toStep: number };

const CHANNEL = 'tuneboard_run_events';
/** Events buffered for a subscriber that reads slower than they arrive, before the oldest are dropped. */
const SUBSCRIBER_BUFFER = 256;

export class RunEventBus {
  private subscribers = new Map<string, Set<(event: RunEventMessage) => void>>();
  private unlisten: (() => Promise<void>) | null = null;

  constructor(
    private store: Store,
    private logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.unlisten = await this.store.listen(CHANNEL, (payload) => this.dispatch(payload));
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
    this.unlisten = null;
    this.subscribers.clear();
  }

  async publish(event: RunEventMessage): Promise<void> {
    let payload = JSON.stringify(event);
    if (payload.length > 7900 && event.kind === 'METRICS_APPENDED') {
      // Too many keys to name: subscribers then re-read every key in the step range.
      payload = JSON.stringify({ ...event, keys: [] });
    }
    await this.store.query('select pg_notify($1, $2)', [CHANNEL, payload]);
  }

  private dispatch(payload: string): void {
    let event: RunEventMessage;
    try {
      event = JSON.parse(payload) as RunEventMessage;
    } catch {
      this.logger.warn({ payload }, 'ignored a malformed run event');
      return;
    }
    for (const deliver of this.subscribers.get(event.runId) ?? []) deliver(event);
  }

  /** The events of one run, as an async iterator that graphql-ws drives and ends with `return()`. */
  subscribe(runId: string): AsyncIterableIterator<RunEventMessage> {
    const queue: RunEventMessage[] = [];
    let wake: ((result: IteratorResult<RunEventMessage>) => void) | null = null;
    let done = false;
    const deliver = (event: RunEventMessage) => {
      if (wake) {
        const resolve = wake;
        wake = null;
        resolve({ value: event, done: false });
        return;
      }
      queue.push(event);
      if (queue.length > SUBSCRIBER_BUFFER) queue.shift();
    };
    let set = this.subscribers.get(runId);
    if (!set) this.subscribers.set(runId, (set = new Set()));
    set.add(deliver);
    const finish = () => {
      done = true;
      set.delete(deliver);
      if (set.size === 0) this.subscribers.delete(runId);
      wake?.({ value: undefined, done: true });
      wake = null;
    };
    return {
      next: () => {
        const event = queue.shift();
        if (event) return Promise.resolve({ value: event, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (wake = resolve));
      },
      return: () => {
        finish();
        return Promise.resolve({ value: undefined, done: true });
      },
      throw: (error?: unknown) => {
        finish();
        return Promise.reject(error);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
}
