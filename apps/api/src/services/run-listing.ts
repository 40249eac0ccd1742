import { runStore, type Run } from '@tuneboard/db';
import { oneAtATime } from './fairness';
import { compileFilter, type Vocabulary } from '@tuneboard/filter';
import { describePath, suggestPath } from '@tuneboard/hparams';
import type { Scope } from './scope';
import { badUserInput } from './errors';
import { isUuid, loadProject } from './access';
import { vocabularyOf } from './hparam-schemas';

/** The hyperparameter vocabulary the filter language checks paths against. */
export const hparamVocabulary = { describe: describePath, suggest: suggestPath };

type RunListOrder = runStore.RunListOrder;

const MAX_PAGE = 500;

/** Cursors are opaque to clients; inside they are offsets into the ordered, filtered list. */
export const encodeCursor = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64url');
function decodeCursor(cursor: string): number {
  const match = /^offset:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) throw badUserInput(`"${cursor}" is not a cursor returned by this API`, [{ path: 'after', message: 'unknown cursor' }]);
  return Number(match[1]);
}

/** Parses and checks a filter expression, turning its errors into BAD_USER_INPUT with positions. */
export function parseRunFilter(filter: string | null | undefined, argument = 'filter', vocabulary: Vocabulary = hparamVocabulary) {
  const result = compileFilter(filter ?? '', vocabulary);
  if (!result.ok)
    throw badUserInput(
      `Invalid ${argument}: ${result.errors.map((e) => e.message).join('; ')}`,
      result.errors.map((e) => ({ path: argument, message: `${e.message} (characters ${e.start}–${e.end})` })),
    );
  return result.ast;
}

/** Checks what a sort needs before any query runs: a known hyperparameter path for PARAM, a key for a metric. */
function checkOrder(order: RunListOrder | null | undefined, vocabulary: Vocabulary) {
  if (order?.field === 'PARAM') {
    if (!order.path) throw badUserInput('orderBy.path is required when sorting by PARAM', [{ path: 'orderBy.path', message: 'required' }]);
    if (!vocabulary.describe(order.path)) {
      const suggestion = vocabulary.suggest?.(order.path);
      throw badUserInput(`Unknown hyperparameter "${order.path}"${suggestion ? ` — did you mean "${suggestion}"?` : ''}`, [
        { path: 'orderBy.path', message: 'unknown hyperparameter path' },
      ]);
    }
  }
  if ((order?.field === 'METRIC_LAST' || order?.field === 'METRIC_MIN' || order?.field === 'METRIC_MAX') && !order.metric)
    throw badUserInput(`orderBy.metric is required when sorting by ${order.field}`, [{ path: 'orderBy.metric', message: 'required' }]);
}

export interface RunListArgs {
  filter?: string | null;
  orderBy?: RunListOrder | null;
  first?: number | null;
  after?: string | null;
  ids?: readonly string[] | null;
}

export interface RunPage {
  edges: { cursor: string; node: Run }[];
  nodes: Run[];
  /** Really a function typed as the count, so GraphQL counts only when the query asks for totalCount (see listRuns). */
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Runs of a project the actor may read: filtered, sorted and paginated. */
export async function listProjectRuns(ctx: Scope, projectId: string, args: RunListArgs): Promise<RunPage> {
  await loadProject(ctx, projectId, 'read');
  return listRuns(ctx, projectId, args);
}

/** Runs of a project the caller has already read: filtered, sorted and paginated with opaque cursors. */
export async function listRuns(ctx: Scope, projectId: string, args: RunListArgs): Promise<RunPage> {
  const first = args.first ?? 50;
  if (first < 0 || first > MAX_PAGE) throw badUserInput(`first must be between 0 and ${MAX_PAGE}`, [{ path: 'first', message: `must be 0–${MAX_PAGE}` }]);
  const offset = args.after ? decodeCursor(args.after) + 1 : 0;
  if (args.ids && args.ids.length > MAX_PAGE) throw badUserInput(`ids lists at most ${MAX_PAGE} runs`, [{ path: 'ids', message: `at most ${MAX_PAGE}` }]);
  // A declared or inferred project filters and sorts on its own paths.
  const project = await ctx.loaders.project.load(projectId);
  const vocabulary = (project && (await vocabularyOf(ctx.store, project))) ?? hparamVocabulary;
  const selection = {
    projectId,
    filter: parseRunFilter(args.filter, 'filter', vocabulary),
    // Exactly these runs (e.g. a comparison's selection); ids of other projects or teams simply do not match.
    ids: args.ids ? args.ids.filter(isUuid) : null,
  };
  checkOrder(args.orderBy, vocabulary);
  const rows = await runStore.listRuns(ctx.store, selection, { orderBy: args.orderBy, limit: first + 1, offset });
  const page = rows.slice(0, first);
  for (const run of page) ctx.loaders.run.prime(run.id, run);
  const edges = page.map((node, i) => ({ cursor: encodeCursor(offset + i), node }));
  // Counting every match re-evaluates the filter on every run of the project (a parallel scan: ~100 ms at
  // 100,000 runs), several times what the page costs. GraphQL calls a function-valued field to resolve it,
  // so the count runs only when the query asks for totalCount.
  const totalCount = () => oneAtATime(ctx, () => runStore.countRuns(ctx.store, selection));
  return {
    edges,
    nodes: page,
    totalCount: totalCount as unknown as number,
    pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
  };
}
