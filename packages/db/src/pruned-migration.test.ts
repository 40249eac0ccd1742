import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateStore } from './client';
import { migrationDatabases, migrationsBefore } from './migration-testing';

// Migration 0014 adds the `pruned` status (early stopping) and runs.pruning, the decision: existing runs keep their
// status and have no decision; afterwards a run may be pruned, and the check constraint still refuses other words.
for (const database of migrationDatabases) {
  describe(`migration 0014 on ${database.name}`, () => {
    const folders: string[] = [];
    afterAll(() => folders.splice(0).forEach((folder) => rmSync(folder, { recursive: true, force: true })));

    it('keeps existing runs as they were and lets a run be pruned with its decision', async () => {
      const store = await database.open();
      try {
        const before = migrationsBefore('0014_run_pruned');
        folders.push(before);
        await migrateStore(store, before);
        const [team] = await store.query<{ id: string }>(`insert into teams (name) values ('t') returning id`);
        const [project] = await store.query<{ id: string }>(`insert into projects (team_id, name) values ($1, 'p') returning id`, [team!.id]);
        const runs = await store.query<{ id: string }>(
          `insert into runs (project_id, name, status, config, flat_params) values ($1, 'a', 'running', '{}', '{}'), ($1, 'b', 'lost', '{}', '{}') returning id`,
          [project!.id],
        );
        await expect(store.query(`update runs set status = 'pruned' where id = $1`, [runs[0]!.id])).rejects.toThrow(/runs_status_check/);
        await migrateStore(store);
        const kept = await store.query<{ status: string; pruning: unknown }>(`select status, pruning from runs order by name`);
        expect(kept).toEqual([
          { status: 'running', pruning: null },
          { status: 'lost', pruning: null },
        ]);
        const decision = {
          reason: 'below the median',
          resource: 3,
          unit: 'epoch',
          value: 0.8,
          cutoff: 0.85,
          competitors: 5,
          decidedAt: '2026-12-02T12:00:00.000Z',
        };
        await store.query(`update runs set status = 'pruned', pruning = $2::jsonb where id = $1`, [runs[0]!.id, JSON.stringify(decision)]);
        const [pruned] = await store.query<{ status: string; pruning: unknown }>(`select status, pruning from runs where id = $1`, [runs[0]!.id]);
        expect(pruned).toEqual({ status: 'pruned', pruning: decision });
        await expect(store.query(`update runs set status = 'stopped' where id = $1`, [runs[1]!.id])).rejects.toThrow(/runs_status_check/);
      } finally {
        await store.destroy();
      }
    }, 60_000);
  });
}
