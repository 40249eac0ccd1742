import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_METRICS, MLP_CONFIG, startWithProject, SUBMIT_RUN, testDatabases, type TestApi, type TestUser } from './harness';

const RUN_EVENTS = /* GraphQL */ `
  subscription ($id: ID!) {
    runEvents(runId: $id) {
      kind
      run {
        status
        backend
      }
      metrics {
        key
        steps
        values
      }
    }
  }
`;

for (const database of testDatabases()) {
  describe(`runEvents subscription over graphql-ws on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let projectId: string;

    beforeAll(async () => {
      ({ api, alice, projectId } = await startWithProject(database, 'live'));
    });
    afterAll(() => api?.close());

    it('delivers status changes and appended metrics as they happen', async () => {
      const runId = (await alice.ok(SUBMIT_RUN, { input: { projectId, hparams: MLP_CONFIG } })).submitRun.run.id;
      const client = alice.subscribe();
      const events: any[] = [];
      let firstEvent!: () => void;
      const listening = new Promise<void>((resolve) => (firstEvent = resolve));
      let expected = Number.POSITIVE_INFINITY;
      let finished!: () => void;
      const done = new Promise<void>((resolve) => (finished = resolve));
      const unsubscribe = client.subscribe(
        { query: RUN_EVENTS, variables: { id: runId } },
        {
          next: (message) => {
            const event = message.data?.runEvents as { metrics: { key: string }[] } | undefined;
            firstEvent();
            // Probes only prove the subscription is live; graphql-ws does not acknowledge a subscribe.
            if (!event || event.metrics.some((m: { key: string }) => m.key === 'probe')) return;
            events.push(event);
            if (events.length === expected) finished();
          },
          error: (error) => {
            throw error;
          },
          complete: () => {},
        },
      );
      for (let step = 0; ; step++) {
        await alice.ok(LOG_METRICS, { runId, points: [{ key: 'probe', step, value: 0 }] });
        const live = await Promise.race([listening.then(() => true), new Promise((r) => setTimeout(() => r(false), 100))]);
        if (live) break;
        if (step > 100) throw new Error('the subscription never delivered an event');
      }
      expected = 3;
      await alice.ok(`mutation($id: ID!) { setRunStatus(input: { runId: $id, status: RUNNING, backend: "wasm" }) { id } }`, { id: runId });
      await alice.ok(LOG_METRICS, { runId, series: [{ key: 'train.loss', steps: [0, 1, 2], values: [2.3, 'NaN', 1.9] }] });
      await alice.ok(LOG_METRICS, {
        runId,
        points: [
          { key: 'train.loss', step: 3, value: 1.7 },
          { key: 'lr', step: 3, value: 0.001 },
        ],
      });
      await done;
      unsubscribe();
      expect(events[0]).toEqual({ kind: 'STATUS_CHANGED', run: { status: 'RUNNING', backend: 'wasm' }, metrics: [] });
      expect(events[1]).toEqual({
        kind: 'METRICS_APPENDED',
        run: { status: 'RUNNING', backend: 'wasm' },
        metrics: [{ key: 'train.loss', steps: [0, 1, 2], values: [2.3, 'NaN', 1.9] }],
      });
      // Only the appended points, not the history.
      expect(events[2].metrics).toEqual([
        { key: 'lr', steps: [3], values: [0.001] },
        { key: 'train.loss', steps: [3], values: [1.7] },
      ]);
    });

    it('refuses a connection without a valid token', async () => {
      const { createClient } = await import('graphql-ws');
      const { default: WebSocket } = await import('ws');
      const client = createClient({ url: api.server.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: 'Bearer nope' }, retryAttempts: 0 });
      const outcome = await new Promise<unknown>((resolve) => {
        client.subscribe(
          { query: `subscription { runEvents(runId: "x") { kind } }` },
          { next: () => resolve('event'), error: resolve, complete: () => resolve('complete') },
        );
      });
      await client.dispose();
      expect((outcome as { code?: number }).code).toBe(4403);
    });
  });
}
