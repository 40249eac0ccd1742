import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateStore, type Store } from './client';
import { appendMetrics, readMetricSeries, summariesOfRuns } from './stores/metrics/index';
import { migrationDatabases as databases, migrationsBefore } from './migration-testing';

const n = 5_000;
const steps = Array.from({ length: n }, (_, i) => i * 3);
const values = steps.map((_, i) => Math.cos(i / 300) + 0.001 * (i % 7));
values[1234] = 99;
values[4001] = -7;
values[4500] = Number.NaN;
const wallTimes = steps.map((_, i) => 1_700_000_000_000 + i);

for (const database of databases) {
  describe(`migration 0002_metric_summaries on ${database.name}`, () => {
    const folder = migrationsBefore('0002_metric_summaries');
    let store: (Store & { destroy(): Promise<void> }) | undefined;
    afterAll(async () => {
      await store?.destroy();
      rmSync(folder, { recursive: true, force: true });
    });

    it('carries metric history written before it over, and summarises it as the writer does', { timeout: 60_000 }, async () => {
      store = await database.open();
      await migrateStore(store, folder);
      const [team] = await store.query<{ id: string }>(`insert into teams (name) values ('ml') returning id`);
      const [project] = await store.query<{ id: string }>(`insert into projects (team_id, name) values ($1, 'p') returning id`, [team!.id]);
      const newRun = async () =>
        (
          await store!.query<{ id: string }>(`insert into runs (project_id, name, config, flat_params) values ($1, 'r', '{}', '{}') returning id`, [
            project!.id,
          ])
        )[0]!.id;
      const before = await newRun();
      // The chunk layout of migrations 0000–0001, written as the old writer did (chunks of 1,000 points).
      const [series] = await store.query<{ id: number }>(
        `insert into metric_series (run_id, key, point_count, non_finite_count, first_step, last_step) values ($1, 'loss', $2, 1, 0, $3) returning id`,
        [before, n, steps[n - 1]],
      );
      for (let start = 0; start < n; start += 1000) {
        const slice = <T>(a: T[]) => a.slice(start, start + 1000);
        await store.query(
          `insert into metric_chunks (series_id, first_step, last_step, point_count, steps, values, wall_times, non_finite_count)
           values ($1, $2, $3, $4, $5::int4[], $6::float8[], $7::float8[], 0)`,
          [series!.id, steps[start], steps[start + 999], 1000, slice(steps), slice(values), slice(wallTimes)],
        );
      }

      await migrateStore(store);

      const [whole] = await readMetricSeries(store, { runIds: [before], maxPoints: 100_000 });
      expect(whole!.steps).toEqual(steps);
      expect(whole!.values).toEqual(values);
      expect(whole!.wallTimes).toEqual(wallTimes);
      const [sampled] = await readMetricSeries(store, { runIds: [before], maxPoints: 500 });
      expect(sampled!.steps.length).toBeLessThanOrEqual(500);
      expect(Math.max(...sampled!.values.filter(Number.isFinite))).toBe(99);
      expect(Math.min(...sampled!.values.filter(Number.isFinite))).toBe(-7);
      expect(sampled!.steps[sampled!.values.findIndex(Number.isNaN)]).toBe(steps[4500]);

      // The backfilled summaries equal what the current writer stores for the same points (the table is
      // metric_summaries since migration 0006).
      const after = await newRun();
      await appendMetrics(store, after, [{ key: 'loss', steps, values, wallTimes }]);
      const summaries = (runId: string) =>
        store!.query(
          `select c.first_step, c.fine_steps, c.fine_values::text, c.fine_wall_times, c.coarse_steps, c.coarse_values::text, c.coarse_wall_times
           from metric_chunks c join metric_summaries m on m.id = c.series_id where m.run_id = $1 order by c.first_step`,
          [runId],
        );
      expect(await summaries(before)).toEqual(await summaries(after));
      const counts = (runId: string) => store!.query(`select point_count, fine_count, coarse_count from metric_summaries where run_id = $1`, [runId]);
      expect(await counts(before)).toEqual(await counts(after));
    });
  });
}

for (const database of databases) {
  describe(`migration 0006_metric_series_to_summaries on ${database.name}`, () => {
    const folder = migrationsBefore('0006_metric_series_to_summaries');
    let store: (Store & { destroy(): Promise<void> }) | undefined;
    afterAll(async () => {
      await store?.destroy();
      rmSync(folder, { recursive: true, force: true });
    });

    it('renames metric_series to metric_summaries in place: rows, chunks, ids, indexes and constraints carry over', { timeout: 60_000 }, async () => {
      store = await database.open();
      await migrateStore(store, folder);
      const [team] = await store.query<{ id: string }>(`insert into teams (name) values ('ml') returning id`);
      const [project] = await store.query<{ id: string }>(`insert into projects (team_id, name) values ($1, 'p') returning id`, [team!.id]);
      const newRun = async () =>
        (
          await store!.query<{ id: string }>(`insert into runs (project_id, name, config, flat_params) values ($1, 'r', '{}', '{}') returning id`, [
            project!.id,
          ])
        )[0]!.id;
      const runId = await newRun();
      // Written as the writer of migrations 0002–0005 did: a summary row and its chunk in metric_series.
      const [before] = await store.query<{ id: number }>(
        `insert into metric_series (run_id, key, point_count, non_finite_count, first_step, last_step, last_value, min_value, max_value, fine_count, coarse_count)
         values ($1, 'loss', 3, 0, 0, 2, 0.5, 0.5, 2, 3, 3) returning id`,
        [runId],
      );
      await store.query(
        `insert into metric_chunks (series_id, first_step, last_step, point_count, steps, values, wall_times, non_finite_count,
           min_value, min_index, max_value, max_index, fine_steps, fine_values, fine_wall_times, coarse_steps, coarse_values, coarse_wall_times)
         values ($1, 0, 2, 3, '{0,1,2}', '{2,1,0.5}', '{10,11,12}', 0, 0.5, 3, 2, 1, '{0,1,2}', '{2,1,0.5}', '{10,11,12}', '{0,1,2}', '{2,1,0.5}', '{10,11,12}')`,
        [before!.id],
      );

      await migrateStore(store);

      expect(await store.query(`select to_regclass('metric_series') as old, to_regclass('metric_summaries') as new`)).toEqual([
        { old: null, new: 'metric_summaries' },
      ]);
      expect(await summariesOfRuns(store, [runId])).toMatchObject([
        { id: before!.id, key: 'loss', pointCount: 3, firstStep: 0, lastStep: 2, lastValue: 0.5, minValue: 0.5, maxValue: 2 },
      ]);
      const [read] = await readMetricSeries(store, { runIds: [runId], maxPoints: 100 });
      expect(read).toMatchObject({ key: 'loss', steps: [0, 1, 2], values: [2, 1, 0.5], wallTimes: [10, 11, 12] });
      // The writer goes on where the old rows left off: appends to the old series, new series get fresh ids.
      await appendMetrics(store, runId, [
        { key: 'loss', steps: [3], values: [0.25] },
        { key: 'acc', steps: [0], values: [0.9] },
      ]);
      const summaries = await summariesOfRuns(store, [runId]);
      expect(summaries.map((s) => [s.key, s.pointCount, s.lastValue])).toEqual([
        ['acc', 1, 0.9],
        ['loss', 4, 0.25],
      ]);
      expect(summaries.find((s) => s.key === 'acc')!.id).toBeGreaterThan(before!.id);

      // Indexes, constraints and the identity sequence are renamed with the table, none left behind.
      const indexes = await store.query<{ name: string }>(`select indexname as name from pg_indexes where tablename = 'metric_summaries' order by 1`);
      expect(indexes.map((i) => i.name)).toEqual([
        'metric_summaries_key_last_idx',
        'metric_summaries_key_max_idx',
        'metric_summaries_key_min_idx',
        'metric_summaries_pkey',
        'metric_summaries_run_key_idx',
      ]);
      // (PostgreSQL 18 also lists NOT NULL constraints here, named after the table: renamed too.)
      const constraints = await store.query<{ name: string }>(
        `select conname as name from pg_constraint where conrelid = 'metric_summaries'::regclass and contype <> 'n' order by 1`,
      );
      expect(constraints.map((c) => c.name)).toEqual(['metric_summaries_pkey', 'metric_summaries_run_id_runs_id_fk']);
      const [chunkLink] = await store.query<{ name: string }>(
        `select conname as name from pg_constraint where conrelid = 'metric_chunks'::regclass and contype = 'f'`,
      );
      expect(chunkLink!.name).toBe('metric_chunks_series_id_metric_summaries_id_fk');
      const stale = await store.query(`select conname from pg_constraint where conname like 'metric\\_series%'`);
      expect(stale).toEqual([]);
      expect(await store.query(`select pg_get_serial_sequence('metric_summaries', 'id') as seq`)).toEqual([{ seq: 'public.metric_summaries_id_seq' }]);
      const leftovers = await store.query(`select relname from pg_class where relname like 'metric_series%'`);
      expect(leftovers).toEqual([]);

      // Deleting the run still cascades to its summaries and their chunks.
      await store.query(`delete from runs where id = $1`, [runId]);
      expect(await store.query(`select count(*)::int as n from metric_chunks`)).toEqual([{ n: 0 }]);
    });
  });
}
