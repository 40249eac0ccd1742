import { metricSql, metricSeries, runFilterSql, runs } from '@tuneboard/db';
import { oneAtATime } from './fairness';
import { compileFilter } from '@tuneboard/filter';
import { describePath, suggestPath } from '@tuneboard/hparams';
import { and, asc, count, desc, eq, getTableColumns, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Scope } from './scope';
import { badUserInput } from './errors';
import { isUuid } from './access';
import type { RunOrder } from '../generated/resolvers-types';

/** The hyperparameter vocabulary the filter language checks paths against. */
export const hparamVocabulary = { describe: describePath, suggest: suggestPath };

const MAX_PAGE = 500;

/** Cursors are opaque to clients; inside they are offsets into the ordered, filtered list. */
export const encodeCursor = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64url');
function decodeCursor(cursor: string): number {
  const match = /^offset:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) throw badUserInput(`"${cursor}" is not a cursor returned by this API`, [{ path: 'after', message: 'unknown cursor' }]);
  return Number(match[1]);
}

/** Parses and checks a filter expression, turning its errors into BAD_USER_INPUT with positions. */
export function parseRunFilter(filter: string | null | undefined, argument = 'filter') {
  const result = compileFilter(filter ?? '', hparamVocabulary);
  if (!result.ok)
    throw badUserInput(
      `Invalid ${argument}: ${result.errors.map((e) => e.message).join('; ')}`,
      result.errors.map((e) => ({ path: argument, message: `${e.message} (characters ${e.start}–${e.end})` })),
    );
  return result.ast;
}

function orderSql(order: RunOrder | null | undefined): SQL[] {
  const direction = order?.direction === 'ASC' ? asc : desc;
  const field = order?.field ?? 'CREATED_AT';
  const nullsLast = (expression: SQL) => (order?.direction === 'ASC' ? sql`${expression} asc nulls last` : sql`${expression} desc nulls last`);
  switch (field) {
    case 'CREATED_AT':
      return [direction(runs.createdAt), direction(runs.id)];
    case 'NAME':
      return [direction(runs.name), direction(runs.id)];
    case 'STATUS':
      return [direction(runs.status), desc(runs.createdAt), desc(runs.id)];
    case 'PARAM': {
      if (!order?.path) throw badUserInput('orderBy.path is required when sorting by PARAM', [{ path: 'orderBy.path', message: 'required' }]);
      if (!describePath(order.path)) {
        const suggestion = suggestPath(order.path);
        throw badUserInput(`Unknown hyperparameter "${order.path}"${suggestion ? ` — did you mean "${suggestion}"?` : ''}`, [
          { path: 'orderBy.path', message: 'unknown hyperparameter path' },
        ]);
      }
      // jsonb orders numbers numerically, so batchSize sorts as 8 < 16 < 128, not as text.
      return [nullsLast(sql`(${runs.flatParams} -> ${order.path}::text)`), desc(runs.id)];
    }
    case 'METRIC_LAST':
    case 'METRIC_MIN':
    case 'METRIC_MAX':
      throw new Error('metric orders are paged by pageByMetric');
  }
}

const METRIC_AGG = { METRIC_LAST: 'last', METRIC_MIN: 'min', METRIC_MAX: 'max' } as const;
type MetricAgg = (typeof METRIC_AGG)[keyof typeof METRIC_AGG];

type RunRow = typeof runs.$inferSelect;

export async function listRuns(
  ctx: Scope,
  projectId: string,
  args: { filter?: string | null; orderBy?: RunOrder | null; first?: number | null; after?: string | null; ids?: readonly string[] | null },
) {
  const first = args.first ?? 50;
  if (first < 0 || first > MAX_PAGE) throw badUserInput(`first must be between 0 and ${MAX_PAGE}`, [{ path: 'first', message: `must be 0–${MAX_PAGE}` }]);
  const offset = args.after ? decodeCursor(args.after) + 1 : 0;
  if (args.ids && args.ids.length > MAX_PAGE) throw badUserInput(`ids lists at most ${MAX_PAGE} runs`, [{ path: 'ids', message: `at most ${MAX_PAGE}` }]);
  const where = and(
    eq(runs.projectId, projectId),
    isNull(runs.deletedAt),
    runFilterSql(parseRunFilter(args.filter)),
    // Exactly these runs (e.g. a comparison's selection); ids of other projects or teams simply do not match.
    args.ids ? inArray(runs.id, args.ids.filter(isUuid)) : undefined,
  );
  const field = args.orderBy?.field;
  const rows =
    field === 'METRIC_LAST' || field === 'METRIC_MIN' || field === 'METRIC_MAX'
      ? await pageByMetric(ctx, where, args.orderBy!, METRIC_AGG[field], first + 1, offset)
      : await ctx.store.db
          .select()
          .from(runs)
          .where(where)
          .orderBy(...orderSql(args.orderBy))
          .limit(first + 1)
          .offset(offset);
  const page = rows.slice(0, first);
  for (const run of page) ctx.loaders.run.prime(run.id, run);
  const edges = page.map((node, i) => ({ cursor: encodeCursor(offset + i), node }));
  // Counting every match re-evaluates the filter on every run of the project (a parallel scan: ~100 ms at
  // 100,000 runs), several times what the page costs. GraphQL calls a function-valued field to resolve it,
  // so the count runs only when the query asks for totalCount.
  const totalCount = () => oneAtATime(ctx, async () => (await ctx.store.db.select({ n: count() }).from(runs).where(where))[0]?.n ?? 0);
  return {
    edges,
    nodes: page,
    totalCount: totalCount as unknown as number,
    pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
  };
}

/**
 * A page of runs sorted by a metric summary, without visiting every run: the runs that have the metric are
 * read in the order of the metric_series index on (key, value) — only as many as the filter needs to fill
 * the page — and the runs without it follow, newest first (where NULLS LAST put them). Ties go by run id in
 * the sort's direction, so the index serves both directions.
 */
async function pageByMetric(ctx: Scope, where: SQL | undefined, order: RunOrder, agg: MetricAgg, limit: number, offset: number): Promise<RunRow[]> {
  if (!order.metric) throw badUserInput(`orderBy.metric is required when sorting by ${order.field}`, [{ path: 'orderBy.metric', message: 'required' }]);
  const { db } = ctx.store;
  const value = metricSql(order.metric, agg, 'indexed');
  const direction = order.direction === 'ASC' ? asc : desc;
  const withMetric = and(where, eq(metricSeries.key, order.metric), sql`${value} is not null`);
  const ranked = await db
    .select(getTableColumns(runs))
    .from(metricSeries)
    .innerJoin(runs, eq(runs.id, metricSeries.runId))
    .where(withMetric)
    .orderBy(direction(value), direction(metricSeries.runId))
    .limit(limit)
    .offset(offset);
  if (ranked.length === limit) return ranked;
  // How many runs have the metric decides where the runs without it start in the combined order.
  const rankedTotal =
    ranked.length > 0 || offset === 0
      ? offset + ranked.length
      : ((await db.select({ n: count() }).from(metricSeries).innerJoin(runs, eq(runs.id, metricSeries.runId)).where(withMetric))[0]?.n ?? 0);
  const rest = await db
    .select()
    .from(runs)
    .where(and(where, sql`${metricSql(order.metric, agg)} is null`))
    .orderBy(desc(runs.createdAt), desc(runs.id))
    .limit(limit - ranked.length)
    .offset(Math.max(0, offset - rankedTotal));
  return [...ranked, ...rest];
}
