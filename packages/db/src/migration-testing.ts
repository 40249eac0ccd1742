// For migration tests: stores opened without migrations, and a copy of the migrations that stops before one.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IN_MEMORY, MIGRATIONS_FOLDER, openStore, type Store } from './client';
import { createTestDatabase } from './testing';

/** Stores opened without migrations: in-memory PGlite, plus PostgreSQL when TEST_DATABASE_URL is set. */
export const migrationDatabases: { name: string; open(): Promise<Store & { destroy(): Promise<void> }> }[] = [
  {
    name: 'pglite',
    open: async () => {
      const store = await openStore({ dataDir: IN_MEMORY, migrate: false });
      return Object.assign(store, { destroy: () => store.close() });
    },
  },
];
const serverUrl = process.env.TEST_DATABASE_URL;
if (serverUrl)
  migrationDatabases.push({
    name: 'postgres',
    open: async () => {
      const database = await createTestDatabase(serverUrl);
      const store = await openStore({ databaseUrl: database.url, migrate: false, poolSize: 2 });
      return Object.assign(store, { destroy: async () => (await store.close(), await database.drop()) });
    },
  });

/** A copy of the committed migrations that stops before `tag`, to build a database as it was before it. */
export function migrationsBefore(tag: string): string {
  const folder = mkdtempSync(join(tmpdir(), 'tuneboard-migrations-'));
  cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string; idx: number }[] };
  const stop = journal.entries.findIndex((e) => e.tag === tag);
  if (stop <= 0) throw new Error(`no migration ${tag} after the first`);
  journal.entries = journal.entries.slice(0, stop);
  writeFileSync(journalPath, JSON.stringify(journal));
  return folder;
}
