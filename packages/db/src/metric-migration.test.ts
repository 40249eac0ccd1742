import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateStore, type Store } from './client';
import { appendMetrics, readMetricSeries } from './metric-store';
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
        (await store!.query<{ id: string }>(`insert into runs (project_id, name, config, flat_params) values ($1, 'r', '{}', '{}') returning id`, [project!.id]))[0]!.id;
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

      // The backfilled summaries equal what the current writer stores for the same points.
      const after = await newRun();
      await appendMetrics(store, after, [{ key: 'loss', steps, values, wallTimes }]);
      const summaries = (runId: string) =>
        store!.query(
          `select c.first_step, c.fine_steps, c.fine_values::text, c.fine_wall_times, c.coarse_steps, c.coarse_values::text, c.coarse_wall_times
           from metric_chunks c join metric_series m on m.id = c.series_id where m.run_id = $1 order by c.first_step`,
          [runId],
        );
      expect(await summaries(before)).toEqual(await summaries(after));
      const counts = (runId: string) => store!.query(`select point_count, fine_count, coarse_count from metric_series where run_id = $1`, [runId]);
      expect(await counts(before)).toEqual(await counts(after));
    });
  });
}
