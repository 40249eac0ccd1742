import { inArray } from 'drizzle-orm';
import { teams, users, type Team } from '../schema/accounts';
import type { Handle } from './handle';

/** Users, teams, memberships and API tokens. */

/** What anyone in a shared team may see of a user: never the password or tokens. */
export interface UserSummary {
  id: string;
  email: string;
  name: string | null;
}

export async function usersByIds(handle: Handle, ids: readonly string[]): Promise<UserSummary[]> {
  if (ids.length === 0) return [];
  return handle.db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .where(inArray(users.id, [...ids]));
}

export async function teamsByIds(handle: Handle, ids: readonly string[]): Promise<Team[]> {
  if (ids.length === 0) return [];
  return handle.db.select().from(teams).where(inArray(teams.id, [...ids]));
}
