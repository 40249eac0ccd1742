import { describe, expect, it } from 'vitest';
import { openStore } from './client';
import { createTestDatabase } from './testing';

const serverUrl = process.env.TEST_DATABASE_URL;

describe.skipIf(!serverUrl)('openStore on PostgreSQL', () => {
  it('lets replicas starting together on an empty database migrate it once, without failing', async () => {
    const database = await createTestDatabase(serverUrl!);
    try {
      const stores = await Promise.all(Array.from({ length: 3 }, () => openStore({ databaseUrl: database.url, poolSize: 2 })));
      const [first] = stores;
      const applied = await first!.query<{ n: number }>('select count(*)::int as n from drizzle.__drizzle_migrations');
      const tables = await first!.query<{ n: number }>(`select count(*)::int as n from information_schema.tables where table_schema = 'public' and table_name = 'runs'`);
      expect(tables[0]!.n).toBe(1);
      expect(applied[0]!.n).toBeGreaterThan(0);
      await Promise.all(stores.map((store) => store.close()));
    } finally {
      await database.drop();
    }
  });
});
