import { runStore, type RunAnnotation } from '@tuneboard/db';
import { readableRunIds } from './access';
import { badUserInput } from './errors';
import type { Scope } from './scope';

/** At most this many runs per call: a compare view's selection. */
export const MAX_ANNOTATED_RUNS = 1_000;

/** The annotations of the given runs the viewer may read (others left out, like the compare query's series), oldest first. */
export async function annotationsOfRuns(scope: Scope, runIds: readonly string[]): Promise<RunAnnotation[]> {
  if (runIds.length > MAX_ANNOTATED_RUNS)
    throw badUserInput(`Ask for the annotations of at most ${MAX_ANNOTATED_RUNS.toLocaleString('en')} runs at once`, [
      { path: 'runIds', message: `at most ${MAX_ANNOTATED_RUNS}` },
    ]);
  const readable = await readableRunIds(scope, [...new Set(runIds)]);
  return runStore.annotationsOfRuns(scope.store, readable);
}
