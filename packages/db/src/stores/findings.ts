import { inArray } from 'drizzle-orm';
import { findings, type Finding } from '../schema/findings';
import type { Handle } from './handle';

/** Findings, their citations, comments and events. */

export async function findingsByIds(handle: Handle, ids: readonly string[]): Promise<Finding[]> {
  if (ids.length === 0) return [];
  return handle.db.select().from(findings).where(inArray(findings.id, [...ids]));
}
