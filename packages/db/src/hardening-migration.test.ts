import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateStore } from './client';
import { migrationDatabases, migrationsBefore } from './migration-testing';

// Migration 0004 binds every worker to the teams it trains; workers registered before it keep their user's
// owner/member teams instead of silently claiming nothing.
for (const database of migrationDatabases) {
  describe(`migration 0004 on ${database.name}`, () => {
    const folders: string[] = [];
    afterAll(() => folders.splice(0).forEach((folder) => rmSync(folder, { recursive: true, force: true })));

    it("gives existing workers their user's owner and member teams, not viewer ones", async () => {
      const store = await database.open();
      try {
        const before = migrationsBefore('0004_hardening');
        folders.push(before);
        await migrateStore(store, before);
        const [user] = await store.query<{ id: string }>(`insert into users (email) values ('w@x.io') returning id`);
        const teams = await store.query<{ id: string; name: string }>(`insert into teams (name) values ('own'), ('join'), ('look') returning id, name`);
        const id = (name: string) => teams.find((team) => team.name === name)!.id;
        await store.query(`insert into memberships (user_id, team_id, role) values ($1, $2, 'owner'), ($1, $3, 'member'), ($1, $4, 'viewer')`, [
          user!.id,
          id('own'),
          id('join'),
          id('look'),
        ]);
        await store.query(`insert into workers (user_id, name, capabilities) values ($1, 'gpu-1', '{}')`, [user!.id]);
        await migrateStore(store);
        const [worker] = await store.query<{ team_ids: string[] | string }>(`select team_ids::text[] as team_ids from workers`);
        const teamIds = Array.isArray(worker!.team_ids) ? worker!.team_ids : String(worker!.team_ids).replace(/[{}]/g, '').split(',');
        expect([...teamIds].sort()).toEqual([id('own'), id('join')].sort());
      } finally {
        await store.destroy();
      }
      // Applies every migration twice on a fresh database: seconds on a busy machine, not the default 5.
    }, 60_000);
  });
}
