import { eventStore, type Store } from '@tuneboard/db';
import type { Logger } from 'pino';
import { eventsInterrupted } from './errors';

/**
 * Events (a run's status changes and appended metrics, a project's finding changes, a revoked token) travel
 * through PostgreSQL NOTIFY, so a subscriber connected to one API replica hears about a write made through
 * another. The payload stays small (NOTIFY allows 8000 bytes): it names what changed, and each subscription
 * reads the rest itself. Because it names run and step ranges, a subscriber that missed notifications (the
 * LISTEN connection was lost) can catch up by reading what changed since the last event it was given.
 */

export type RunEventMessage =
  { kind: 'STATUS_CHANGED'; runId: string; status: string } | { kind: 'METRICS_APPENDED'; runId: string; keys: string[]; fromStep: number; toStep: number };
export type FindingEventMessage = { kind: 'FINDING_CHANGED'; projectId: string; findingId: string; eventId: string };
/** A user's token was revoked: every replica re-authenticates that user's open sockets at once. */
export type TokenRevokedMessage = { kind: 'TOKEN_REVOKED'; userId: string };
export type EventMessage = RunEventMessage | FindingEventMessage | TokenRevokedMessage;

/** Subscribers listen to a topic: one run's events, or one project's finding events. */
export const runTopic = (runId: string) => `run:${runId}`;
export const projectTopic = (projectId: string) => `project:${projectId}`;
const topicOf = (event: RunEventMessage | FindingEventMessage) => (event.kind === 'FINDING_CHANGED' ? projectTopic(event.projectId) : runTopic(event.runId));

const CHANNEL = 'tuneboard_run_events';
/** NOTIFY refuses payloads of 8000 bytes or more; stay clearly below, counting bytes, not characters. */
export const MAX_NOTIFY_PAYLOAD_BYTES = 7900;
/** Events buffered for a subscriber that reads slower than they arrive, before the oldest are dropped. */
const SUBSCRIBER_BUFFER = 256;
/** A finding event carries its transaction's start time and may commit after a later one: read back this far. */
const FINDING_CATCH_UP_SLACK_MS = 2_000;
/** More missed finding events than this end the subscription (the client re-subscribes and re-reads). */
const FINDING_CATCH_UP_LIMIT = 1_000;
/** Finding event ids remembered per subscriber, so a catch-up does not repeat what was delivered. */
const DELIVERED_FINDING_IDS = 5_000;

/** What a subscriber was last given, so a catch-up sends only what it missed. */
type Cursor =
  // Per key: a key logged less often (validation every epoch) can be behind the others when the channel drops.
  | { topic: 'run'; runId: string; status: string | null; lastStep: number | null; lastStepByKey: Map<string, number> }
  | { topic: 'project'; projectId: string; since: string | null; delivered: Set<string> };

interface Subscriber {
  cursor: Cursor;
  /**
   * The cursor as it was when the channel was lost: what a catch-up must start from, even if events that
   * arrive after the reconnection (later steps) move the cursor on before the catch-up has read the gap.
   */
  checkpoint: Cursor | null;
  /** Resolves once the cursor's starting point was read from the database. */
  ready: Promise<void>;
  deliver(event: EventMessage): void;
  fail(error: Error): void;
}

export class EventBus {
  private subscribers = new Map<string, Set<Subscriber>>();
  private revocationHandlers = new Set<(userId: string) => Promise<void>>();
  private unlisten: (() => Promise<void>) | null = null;

  constructor(
    private store: Store,
    private logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.unlisten = await this.store.listen(CHANNEL, (payload) => this.dispatch(payload), {
      onDisconnect: (error) => {
        this.logger.warn({ err: error }, 'lost the event channel (LISTEN); live subscriptions miss events until it is back');
        for (const set of this.subscribers.values()) for (const subscriber of set) subscriber.checkpoint ??= snapshot(subscriber.cursor);
      },
      onReconnect: (attempts) => {
        this.logger.warn({ attempts, subscriptions: this.subscriberCount() }, 'event channel (LISTEN) re-established; catching subscribers up');
        void this.catchUpAll();
      },
    });
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
    this.unlisten = null;
    this.subscribers.clear();
  }

  /**
   * Announces a change that is already committed. Never throws: the write succeeded whatever happens to its
   * notification, so a failure is logged (subscribers catch up when the channel comes back).
   */
  async publish(event: EventMessage): Promise<void> {
    const { channel, payload } = this.notification(event);
    try {
      // A connection that just died fails once; the pool's next one works.
      await retrying(() => eventStore.notify(this.store, channel, payload));
    } catch (error) {
      this.logger.error({ err: error, kind: event.kind, bytes: Buffer.byteLength(payload) }, 'could not publish an event; its write is kept');
    }
  }

  /** The NOTIFY that announces `event`, for a write to send in its own transaction (delivered when it commits). */
  notification(event: EventMessage): { channel: string; payload: string } {
    return { channel: CHANNEL, payload: payloadOf(event) };
  }

  /**
   * Announces many committed changes (a batch of runs finished together) with one statement, in the order given:
   * each subscriber hears its own events exactly as if they had been published one by one. Never throws.
   */
  async publishMany(events: readonly EventMessage[]): Promise<void> {
    if (events.length <= 1) return events.length === 1 ? this.publish(events[0]!) : undefined;
    const payloads = events.map(payloadOf);
    try {
      await retrying(() => eventStore.notifyMany(this.store, CHANNEL, payloads));
    } catch (error) {
      this.logger.error({ err: error, events: events.length }, 'could not publish a batch of events; their writes are kept');
    }
  }

  /**
   * Tells every replica (this one at once, the others through NOTIFY) that a token of `userId` was revoked.
   * Resolves after this replica's handlers ran.
   */
  async publishTokenRevoked(userId: string): Promise<void> {
    await Promise.all([...this.revocationHandlers].map((handler) => handler(userId)));
    await this.publish({ kind: 'TOKEN_REVOKED', userId });
  }

  /** Registers what to do when any replica revokes a token of a user; returns the unregister function. */
  onTokenRevoked(handler: (userId: string) => void | Promise<void>): () => void {
    // The handler starts synchronously (it must hold the user's sockets before the next event is dispatched);
    // whatever it does later must not become an unhandled rejection.
    const wrapped = async (userId: string) => {
      try {
        await handler(userId);
      } catch (error) {
        this.logger.error({ err: error }, 'token revocation handler failed');
      }
    };
    this.revocationHandlers.add(wrapped);
    return () => this.revocationHandlers.delete(wrapped);
  }

  private dispatch(payload: string): void {
    let event: EventMessage;
    try {
      event = JSON.parse(payload) as EventMessage;
    } catch {
      this.logger.warn({ payload }, 'ignored a malformed run event');
      return;
    }
    if (event.kind === 'TOKEN_REVOKED') {
      // Synchronously, before the next notification is dispatched: handlers hold the user's sockets first.
      for (const handler of this.revocationHandlers) void handler(event.userId);
      return;
    }
    for (const subscriber of this.subscribers.get(topicOf(event)) ?? []) subscriber.deliver(event);
  }

  private subscriberCount(): number {
    let count = 0;
    for (const set of this.subscribers.values()) count += set.size;
    return count;
  }

  /** After the channel was lost: every live subscriber reads what it missed, a few at a time. */
  private async catchUpAll(): Promise<void> {
    const pending = [...this.subscribers.values()].flatMap((set) => [...set]);
    const worker = async () => {
      for (let subscriber = pending.shift(); subscriber; subscriber = pending.shift()) await this.catchUp(subscriber);
    };
    await Promise.all(Array.from({ length: 4 }, worker));
  }

  private async catchUp(subscriber: Subscriber): Promise<void> {
    try {
      await subscriber.ready;
      const cursor = subscriber.cursor;
      const from = subscriber.checkpoint ?? cursor;
      if (cursor.topic === 'run' && from.topic === 'run') {
        const progress = await retrying(() => eventStore.runProgress(this.store, cursor.runId));
        subscriber.checkpoint = null;
        if (!progress) return;
        if (progress.status !== cursor.status) subscriber.deliver({ kind: 'STATUS_CHANGED', runId: cursor.runId, status: progress.status });
        // Each key from the step after the last one delivered for it: a key that was behind the others gets its
        // gap too. Steps delivered after the reconnection may come again: appended metrics are idempotent per step.
        const missed = [...progress.lastStepByKey].filter(([key, last]) => last > (from.lastStepByKey.get(key) ?? -1));
        if (missed.length > 0)
          subscriber.deliver({
            kind: 'METRICS_APPENDED',
            runId: cursor.runId,
            keys: missed.map(([key]) => key),
            fromStep: Math.min(...missed.map(([key]) => (from.lastStepByKey.get(key) ?? -1) + 1)),
            toStep: Math.max(...missed.map(([, last]) => last)),
          });
        return;
      }
      if (cursor.topic !== 'project') return;
      if (cursor.since === null) throw new Error('the subscription never learnt its starting point');
      const since = cursor.since;
      const now = await retrying(() => eventStore.databaseNow(this.store));
      const missed = await retrying(() =>
        eventStore.findingEventsSince(this.store, cursor.projectId, since, { slackMs: FINDING_CATCH_UP_SLACK_MS, limit: FINDING_CATCH_UP_LIMIT }),
      );
      if (missed.length >= FINDING_CATCH_UP_LIMIT) throw new Error(`more than ${FINDING_CATCH_UP_LIMIT} finding events were missed`);
      for (const event of missed)
        if (!cursor.delivered.has(event.id))
          subscriber.deliver({ kind: 'FINDING_CHANGED', projectId: cursor.projectId, findingId: event.findingId, eventId: event.id });
      cursor.since = now;
      subscriber.checkpoint = null;
    } catch (error) {
      this.logger.warn({ err: error }, 'could not catch a subscriber up after the event channel was lost; ending its subscription');
      subscriber.fail(
        eventsInterrupted('The server lost its event channel and could not replay the events this subscription missed; subscribe again and re-read'),
      );
    }
  }

  /** A topic's events, as an async iterator that graphql-ws drives and ends with `return()`. */
  subscribe<E extends EventMessage = EventMessage>(topic: string): AsyncIterableIterator<E> {
    const queue: E[] = [];
    let wake: { resolve: (result: IteratorResult<E>) => void; reject: (error: Error) => void } | null = null;
    let done = false;
    let failure: Error | null = null;
    let set = this.subscribers.get(topic);
    if (!set) this.subscribers.set(topic, (set = new Set()));
    const subscriber: Subscriber = {
      cursor: cursorFor(topic),
      checkpoint: null,
      ready: Promise.resolve(),
      deliver: (message) => {
        const event = message as E;
        advance(subscriber.cursor, message);
        if (wake) {
          const { resolve } = wake;
          wake = null;
          resolve({ value: event, done: false });
          return;
        }
        queue.push(event);
        if (queue.length > SUBSCRIBER_BUFFER) queue.shift();
      },
      fail: (error) => {
        failure = error;
        // The waiting reader gets the error, not the end of the stream.
        const waiting = wake;
        wake = null;
        finish();
        waiting?.reject(error);
      },
    };
    subscriber.ready = this.readStart(subscriber.cursor).catch((error: unknown) =>
      this.logger.warn({ err: error, topic }, 'could not read where a subscription starts'),
    );
    set.add(subscriber);
    const finish = () => {
      done = true;
      set.delete(subscriber);
      if (set.size === 0 && this.subscribers.get(topic) === set) this.subscribers.delete(topic);
      wake?.resolve({ value: undefined, done: true });
      wake = null;
    };
    return {
      next: () => {
        const event = queue.shift();
        if (event) return Promise.resolve({ value: event, done: false });
        if (failure) return Promise.reject(failure);
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => (wake = { resolve, reject }));
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

  /**
   * Where a new subscriber stands: the run's current status and last step, or the database clock. Events
   * delivered while this is read already moved the cursor on; whichever is further wins.
   */
  private async readStart(cursor: Cursor): Promise<void> {
    if (cursor.topic === 'run') {
      const progress = await eventStore.runProgress(this.store, cursor.runId);
      if (!progress) return;
      cursor.status ??= progress.status;
      if (progress.lastStep !== null) cursor.lastStep = Math.max(cursor.lastStep ?? -1, progress.lastStep);
      for (const [key, last] of progress.lastStepByKey) cursor.lastStepByKey.set(key, Math.max(cursor.lastStepByKey.get(key) ?? -1, last));
    } else cursor.since = await eventStore.databaseNow(this.store);
  }
}

/** An event as NOTIFY carries it, within its payload limit. */
function payloadOf(event: EventMessage): string {
  const payload = JSON.stringify(event);
  // Too many keys to name: subscribers then re-read every key in the step range.
  if (Buffer.byteLength(payload) > MAX_NOTIFY_PAYLOAD_BYTES && event.kind === 'METRICS_APPENDED') return JSON.stringify({ ...event, keys: [] });
  return payload;
}

/** A cursor at "nothing delivered yet" for a topic made by runTopic or projectTopic. */
function cursorFor(topic: string): Cursor {
  const separator = topic.indexOf(':');
  const [kind, id] = [topic.slice(0, separator), topic.slice(separator + 1)];
  return kind === 'project'
    ? { topic: 'project', projectId: id, since: null, delivered: new Set() }
    : { topic: 'run', runId: id, status: null, lastStep: null, lastStepByKey: new Map() };
}

function snapshot(cursor: Cursor): Cursor {
  return cursor.topic === 'run' ? { ...cursor, lastStepByKey: new Map(cursor.lastStepByKey) } : { ...cursor, delivered: new Set(cursor.delivered) };
}

/** `work`, tried again after a short pause when it fails: a query on a connection that just died fails once. */
async function retrying<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** Moves a cursor past a delivered event. */
function advance(cursor: Cursor, event: EventMessage): void {
  if (cursor.topic === 'run') {
    if (event.kind === 'STATUS_CHANGED') cursor.status = event.status;
    if (event.kind === 'METRICS_APPENDED') {
      cursor.lastStep = Math.max(cursor.lastStep ?? -1, event.toStep);
      // No keys named: too many to fit the notification; it covered every key the subscriber knows.
      for (const key of event.keys.length > 0 ? event.keys : [...cursor.lastStepByKey.keys()])
        cursor.lastStepByKey.set(key, Math.max(cursor.lastStepByKey.get(key) ?? -1, event.toStep));
    }
    return;
  }
  if (event.kind === 'FINDING_CHANGED') {
    cursor.delivered.add(event.eventId);
    // A Set iterates in insertion order: drop the oldest.
    if (cursor.delivered.size > DELIVERED_FINDING_IDS) cursor.delivered.delete(cursor.delivered.values().next().value!);
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
