import { searchStore } from '@tuneboard/db';
import { requireActor } from './access';
import { invalid } from './errors';
import type { Scope } from './scope';

/** Longest text the search box takes, and most hits one search returns. */
export const MAX_SEARCH_TEXT = 200;
export const MAX_SEARCH_HITS = 50;

export type SearchHit = searchStore.SearchHitRow;

/**
 * Runs, projects and findings of every team the viewer belongs to (any role reads) whose name or title contains
 * `text`, runs tagged with it, or any of them by id. Nothing of a team the viewer is not in is ever matched.
 */
export async function search(ctx: Scope, text: string, first: number): Promise<SearchHit[]> {
  const viewer = requireActor(ctx);
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.length > MAX_SEARCH_TEXT)
    throw invalid(`Search for 1 to ${MAX_SEARCH_TEXT} characters`, [{ path: 'text', message: `must be 1 to ${MAX_SEARCH_TEXT} characters` }]);
  if (!Number.isInteger(first) || first < 1 || first > MAX_SEARCH_HITS)
    throw invalid(`first must be from 1 to ${MAX_SEARCH_HITS}`, [{ path: 'first', message: `must be from 1 to ${MAX_SEARCH_HITS}` }]);
  return searchStore.searchTeams(ctx.store, [...viewer.roles.keys()], trimmed, first);
}
