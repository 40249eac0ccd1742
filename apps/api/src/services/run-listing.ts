import { runStore, type Run } from '@tuneboard/db';
import { oneAtATime } from './fairness';
import { compileFilter, type Vocabulary } from '@tuneboard/filter';
import { groupRuns, type Grouping } from '@tuneboard/findings';
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

/** Paths a grouping may name: enough for any configuration a table shows, few enough to read as a label. */
export const MAX_GROUP_PATHS = 8;

/** How the runs table groups runs: by some hyperparameter paths, or by everything but the seeds. */
export interface RunGroupBy {
  paths?: readonly string[] | null;
  allButSeeds?: boolean | null;
}

/** Checks a grouping (`argument` names it in problems) and turns it into packages/findings' Grouping. */
export function checkGroupBy(groupBy: RunGroupBy, vocabulary: Vocabulary, argument = 'groupBy'): Grouping {
  const paths = groupBy.paths ?? null;
  if (paths && groupBy.allButSeeds)
    throw badUserInput(`${argument} takes either paths or allButSeeds, not both`, [{ path: argument, message: 'paths or allButSeeds, not both' }]);
  if (!paths) {
    if (groupBy.allButSeeds) return { allButSeeds: true };
    throw badUserInput(`${argument} needs paths (1 to ${MAX_GROUP_PATHS}) or allButSeeds: true`, [
      { path: argument, message: 'paths or allButSeeds required' },
    ]);
  }
  if (paths.length === 0 || paths.length > MAX_GROUP_PATHS)
    throw badUserInput(`${argument}.paths takes 1 to ${MAX_GROUP_PATHS} paths, got ${paths.length}`, [
      { path: `${argument}.paths`, message: `1 to ${MAX_GROUP_PATHS} paths` },
    ]);
  paths.forEach((path, i) => {
    if (paths.indexOf(path) !== i) throw badUserInput(`${argument}.paths names "${path}" twice`, [{ path: `${argument}.paths[${i}]`, message: 'named twice' }]);
    if (!vocabulary.describe(path)) {
      const suggestion = vocabulary.suggest?.(path);
      throw badUserInput(`Unknown hyperparameter "${path}" in ${argument}.paths${suggestion ? ` — did you mean "${suggestion}"?` : ''}`, [
        { path: `${argument}.paths[${i}]`, message: 'unknown hyperparameter path' },
      ]);
    }
  });
  return { paths: [...paths] };
}

/** The project's filter vocabulary: its declared or inferred paths, or the built-in trainer's. */
export async function projectVocabulary(ctx: Scope, projectId: string): Promise<Vocabulary> {
  const project = await ctx.loaders.project.load(projectId);
  return (project && (await vocabularyOf(ctx.store, project))) ?? hparamVocabulary;
}

/** Checks what a sort needs before any query runs: a known hyperparameter path for PARAM, a key for a metric. */
export function checkOrder(order: RunListOrder | null | undefined, vocabulary: Vocabulary) {
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
  /** Only the runs of one group of the runs table (runGroups): the grouping and the group's key as runGroups gave it (base64url). */
  group?: { by: RunGroupBy; key: string } | null;
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
  const vocabulary = await projectVocabulary(ctx, projectId);
  const selection = {
    projectId,
    filter: parseRunFilter(args.filter, 'filter', vocabulary),
    // Exactly these runs (e.g. a comparison's selection); ids of other projects or teams simply do not match.
    ids: args.ids ? args.ids.filter(isUuid) : null,
  };
  checkOrder(args.orderBy, vocabulary);
  if (args.group) {
    // A group's runs: the filter's runs grouped as runGroups groups them, then listed by id like any selection.
    const grouping = checkGroupBy(args.group.by, vocabulary, 'group.by');
    const members = await oneAtATime(ctx, () => runStore.runsForGrouping(ctx.store, selection, []));
    const key = Buffer.from(args.group.key, 'base64url').toString();
    const ids = groupRuns(members, grouping).find((g) => g.key === key)?.runIds ?? [];
    const asked = selection.ids && new Set(selection.ids);
    selection.ids = asked ? ids.filter((id) => asked.has(id)) : ids;
  }
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
