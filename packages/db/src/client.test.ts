import { describe, expect, it } from 'vitest';
import { openStore, reconnectDelayMs } from './client';
import { createTestDatabase } from './testing';

const serverUrl = process.env.TEST_DATABASE_URL;

describe.skipIf(!serverUrl)('openStore on PostgreSQL', () => {
  it('lets replicas starting together on an empty database migrate it once, without failing', async () => {
    const database = await createTestDatabase(serverUrl!);
    try {
      const stores = await Promise.all(Array.from({ length: 3 }, () => openStore({ databaseUrl: database.url, poolSize: 2 })));
      const [first] = stores;
      const applied = await first!.query<{ n: number }>('select count(*)::int as n from drizzle.__drizzle_migrations');
      const tables = await first!.query<{ n: number }>(
        `select count(*)::int as n from information_schema.tables where table_schema = 'public' and table_name = 'runs'`,
      );
      expect(tables[0]!.n).toBe(1);
      expect(applied[0]!.n).toBeGreaterThan(0);
      await Promise.all(stores.map((store) => store.close()));
    } finally {
      await database.drop();
    }
  });

  it('keeps LISTEN working after its connection is terminated, and a dead pooled connection fails only its query', async () => {
    const database = await createTestDatabase(serverUrl!);
    const errors: Error[] = [];
    const store = await openStore({ databaseUrl: database.url, poolSize: 2, onConnectionError: (error) => errors.push(error) });
    try {
      const payloads: string[] = [];
      const seen: string[] = [];
      const unlisten = await store.listen('tb_test', (payload) => payloads.push(payload), {
        onDisconnect: () => seen.push('disconnect'),
        onReconnect: () => seen.push('reconnect'),
      });
      const name = new URL(database.url).pathname.slice(1);
      const admin = await openStore({ databaseUrl: serverUrl!, migrate: false, poolSize: 1 });
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
      await admin.close();
      const deadline = Date.now() + 10_000;
      while (!seen.includes('reconnect') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(seen).toEqual(['disconnect', 'reconnect']);
      // The pool's connections died too: queries work again on fresh ones, and the process is still here.
      await store.query(`select pg_notify('tb_test', 'after')`).catch(() => store.query(`select pg_notify('tb_test', 'after')`));
      while (!payloads.includes('after') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(payloads).toContain('after');
      expect(errors.length).toBeGreaterThan(0);
      await unlisten();
    } finally {
      await store.close();
      await database.drop();
    }
  });
});

describe('reconnectDelayMs', () => {
  it('grows exponentially from 100 ms, is capped at 10 s, and is jittered', () => {
    expect(reconnectDelayMs(0, () => 1)).toBe(100);
    expect(reconnectDelayMs(0, () => 0)).toBe(50);
    expect(reconnectDelayMs(3, () => 1)).toBe(800);
    expect(reconnectDelayMs(30, () => 1)).toBe(10_000);
    expect(reconnectDelayMs(30, () => 0)).toBe(5_000);
  });
});
