import { and, eq } from 'drizzle-orm';
import { findingSuggestionDismissals } from '../schema';
import type { Handle } from './handle';

/** Remembers that a suggested rule was dismissed for a metric of a project (again: no change). */
export async function dismiss(handle: Handle, dismissal: { projectId: string; metricKey: string; rule: string; userId: string | null }): Promise<void> {
  await handle.db
    .insert(findingSuggestionDismissals)
    .values({ projectId: dismissal.projectId, metricKey: dismissal.metricKey, rule: dismissal.rule, dismissedById: dismissal.userId })
    .onConflictDoNothing();
}

/** The rules dismissed for a metric of a project. */
export async function dismissedRules(handle: Handle, projectId: string, metricKey: string): Promise<string[]> {
  const rows = await handle.db
    .select({ rule: findingSuggestionDismissals.rule })
    .from(findingSuggestionDismissals)
    .where(and(eq(findingSuggestionDismissals.projectId, projectId), eq(findingSuggestionDismissals.metricKey, metricKey)));
  return rows.map((r) => r.rule);
}
