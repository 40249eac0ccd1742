// Review of issue 9: a client that leaves while its WebSocket's token is being looked up must leave nothing
// behind (the socket's minute re-check timer ran for ever, one database query a minute per abandoned socket).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { startTestApi, testDatabases, type TestApi, type TestUser } from '../harness';

const SOCKET_REAUTH_MS = 60_000;

for (const database of testDatabases()) {
  describe(`WebSocket bookkeeping on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    beforeAll(async () => {
      api = await startTestApi(database);
      alice = await api.user('alice@example.com', 'vision');
    });
    afterAll(() => api?.close());

    it('a socket closed during its connection handshake keeps no re-check timer', async () => {
      const started = new Set<unknown>();
      const realSet = globalThis.setInterval;
      const realClear = globalThis.clearInterval;
      const set = vi.spyOn(globalThis, 'setInterval').mockImplementation(((fn: () => void, ms?: number) => {
        const timer = realSet(fn, ms);
        if (ms === SOCKET_REAUTH_MS) started.add(timer);
        return timer;
      }) as typeof setInterval);
      const clear = vi.spyOn(globalThis, 'clearInterval').mockImplementation(((timer?: ReturnType<typeof setInterval>) => {
        started.delete(timer);
        realClear(timer);
      }) as typeof clearInterval);
      try {
        await Promise.all(
          Array.from(
            { length: 100 },
            () =>
              new Promise<void>((resolve) => {
                const socket = new WebSocket(api.server.wsUrl, 'graphql-transport-ws');
                socket.on('open', () => {
                  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${alice.token}` } }));
                  socket.terminate();
                });
                socket.on('close', () => resolve());
                socket.on('error', () => resolve());
              }),
          ),
        );
        // Let every pending token lookup finish.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        expect(started.size).toBe(0);
      } finally {
        set.mockRestore();
        clear.mockRestore();
        for (const timer of started) realClear(timer as ReturnType<typeof setInterval>);
      }
    });
  });
}
