import type { Handle } from './handle';

/**
 * The search box across a user's teams: projects, runs and findings whose name or title contains the text (any
 * case), runs carrying it as a tag, and any of them by its exact id. Exact-id hits come first, then the newest.
 * Each kind is a bounded scan of its team's live rows (no trigram index: ILIKE '%…%' reads them all), which at
 * 100,000 runs is tens of milliseconds; the cost limits count it as an expensive field.
 */

export type SearchHitKind = 'run' | 'project' | 'finding';

export interface SearchHitRow {
  kind: SearchHitKind;
  id: string;
  title: string;
  project_id: string;
  project_name: string;
  team_name: string;
  /** The run's or the finding's status; null for a project. */
  status: string | null;
}

/** `text` as an ILIKE pattern matching it anywhere, its own `%`, `_` and `\` taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export async function searchTeams(handle: Handle, teamIds: readonly string[], text: string, limit: number): Promise<SearchHitRow[]> {
  if (teamIds.length === 0) return [];
  return handle.query<SearchHitRow>(
    `(select 'project' as kind, p.id, p.name as title, p.id as project_id, p.name as project_name, t.name as team_name,
             null::text as status, p.id::text = lower($2) as exact, p.created_at
        from projects p join teams t on t.id = p.team_id
       where p.team_id = any($1::uuid[]) and p.deleted_at is null and (p.name ilike $3 or p.id::text = lower($2))
       order by exact desc, p.created_at desc limit $4)
     union all
     (select 'run', r.id, r.name, p.id, p.name, t.name, r.status, r.id::text = lower($2), r.created_at
        from runs r join projects p on p.id = r.project_id join teams t on t.id = p.team_id
       where p.team_id = any($1::uuid[]) and p.deleted_at is null and r.deleted_at is null
         and (r.name ilike $3 or $2 = any(r.tags) or r.id::text = lower($2))
       order by 8 desc, r.created_at desc limit $4)
     union all
     (select 'finding', f.id, f.title, p.id, p.name, t.name, f.status, f.id::text = lower($2), f.created_at
        from findings f join projects p on p.id = f.project_id join teams t on t.id = p.team_id
       where p.team_id = any($1::uuid[]) and p.deleted_at is null and (f.title ilike $3 or f.id::text = lower($2))
       order by 8 desc, f.created_at desc limit $4)
     order by exact desc, created_at desc
     limit $4`,
    [[...teamIds], text, containsPattern(text), limit],
  );
}
