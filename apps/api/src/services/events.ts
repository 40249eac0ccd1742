import type { Store } from '@tuneboard/db';
import type { Logger } from 'pino';

/**
 * Events (a run's status changes and appended metrics, a project's finding changes) travel through
 * PostgreSQL NOTIFY, so a subscriber connected to one API replica hears about a write made through another.
 * The payload stays small (NOTIFY allows 8000 bytes): it names what changed, and each subscription reads
 * the rest itself.
 */

export type RunEventMessage =
  | { kind: 'STATUS_CHANGED'; runId: string; status: string }
  | { kind: 'METRICS_APPENDED'; runId: string; keys: string[]; fromStep: number; toStep: number };
export type FindingEventMessage = { kind: 'FINDING_CHANGED'; projectId: string; findingId: string; eventId: string };
export type EventMessage = RunEventMessage | FindingEventMessage;

/** Subscribers listen to a topic: one run's events, or one project's finding events. */
export const runTopic = (runId: string) => `run:${runId}`;
export const projectTopic = (projectId: string) => `project:${projectId}`;
const topicOf = (event: EventMessage) => (event.kind === 'FINDING_CHANGED' ? projectTopic(event.projectId) : runTopic(event.runId));

const CHANNEL = 'tuneboard_run_events';
/** Events buffered for a subscriber that reads slower than they arrive, before the oldest are dropped. */
const SUBSCRIBER_BUFFER = 256;

export class EventBus {
  private subscribers = new Map<string, Set<(event: EventMessage) => void>>();
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

  async publish(event: EventMessage): Promise<void> {
    let payload = JSON.stringify(event);
    if (payload.length > 7900 && event.kind === 'METRICS_APPENDED') {
      // Too many keys to name: subscribers then re-read every key in the step range.
      payload = JSON.stringify({ ...event, keys: [] });
    }
    await this.store.query('select pg_notify($1, $2)', [CHANNEL, payload]);
  }

  private dispatch(payload: string): void {
    let event: EventMessage;
    try {
      event = JSON.parse(payload) as EventMessage;
    } catch {
      this.logger.warn({ payload }, 'ignored a malformed run event');
      return;
    }
    for (const deliver of this.subscribers.get(topicOf(event)) ?? []) deliver(event);
  }

  /** A topic's events, as an async iterator that graphql-ws drives and ends with `return()`. */
  subscribe<E extends EventMessage = EventMessage>(topic: string): AsyncIterableIterator<E> {
    const queue: E[] = [];
    let wake: ((result: IteratorResult<E>) => void) | null = null;
    let done = false;
    const deliver = (message: EventMessage) => {
      const event = message as E;
      if (wake) {
        const resolve = wake;
        wake = null;
        resolve({ value: event, done: false });
        return;
      }
      queue.push(event);
      if (queue.length > SUBSCRIBER_BUFFER) queue.shift();
    };
    let set = this.subscribers.get(topic);
    if (!set) this.subscribers.set(topic, (set = new Set()));
    set.add(deliver);
    const finish = () => {
      done = true;
      set.delete(deliver);
      if (set.size === 0) this.subscribers.delete(topic);
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

/** An event iterator transformed per event (e.g. into the GraphQL payload); ending it ends the source. */
export function mapEvents<T, U>(source: AsyncIterableIterator<T>, map: (value: T) => U | Promise<U>): AsyncIterableIterator<U> {
  return {
    async next() {
      const result = await source.next();
      return result.done ? { value: undefined, done: true } : { value: await map(result.value), done: false };
    },
    return: async () => {
      await source.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
