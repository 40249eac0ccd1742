import { findings, metricSeries, projects, runs, teams, users, type Store } from '@tuneboard/db';
import DataLoader from 'dataloader';
import { and, inArray, isNull, eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import { authenticate, type TokenUse, type Viewer } from './services/accounts';
import type { EventBus } from './services/events';
import { activeFindingsFor, type FindingRechecks } from './services/findings';

/** Everything a resolver may use, built once per request (or per WebSocket subscription). */
export interface Context {
  store: Store;
  viewer: Viewer | null;
  loaders: Loaders;
  events: EventBus;
  logger: Logger;
  settings: Settings;
  rechecks: FindingRechecks;
}

export interface Settings {
  /** How long a worker's claim on a run lasts without a heartbeat. */
  leaseSeconds: number;
}

export interface Services {
  store: Store;
  events: EventBus;
  logger: Logger;
  settings: Settings;
  /** Re-checks findings as runs finish. */
  rechecks: FindingRechecks;
}

/** `use`: where the token came from, since a subscription ticket is good only for a WebSocket. */
export async function buildContext(services: Services, authorization: string | undefined | null, use: TokenUse): Promise<Context> {
  const token = parseBearer(authorization);
  const viewer = token ? await authenticate(services.store, token, use) : null;
  return { ...services, viewer, loaders: createLoaders(services.store) };
}

/** The token from `Bearer <token>` (a bare token is accepted too), or null. */
export function parseBearer(header: string | undefined | null): string | null {
  if (!header) return null;
  const match = /^\s*(?:bearer\s+)?(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

function byId<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): (V | null)[] {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => map.get(key) ?? null);
}

/** Batched lookups so that listing 50 runs does not cost 50 queries per field (N+1). */
function createLoaders(store: Store) {
  const { db } = store;
  return {
    project: new DataLoader(async (ids: readonly string[]) =>
      byId(ids, await db.select().from(projects).where(and(inArray(projects.id, [...ids]), isNull(projects.deletedAt))), (p) => p.id),
    ),
    team: new DataLoader(async (ids: readonly string[]) => byId(ids, await db.select().from(teams).where(inArray(teams.id, [...ids])), (t) => t.id)),
    user: new DataLoader(async (ids: readonly string[]) =>
      byId(ids, await db.select({ id: users.id, email: users.email, name: users.name }).from(users).where(inArray(users.id, [...ids])), (u) => u.id),
    ),
    run: new DataLoader(async (ids: readonly string[]) =>
      byId(ids, await db.select().from(runs).where(and(inArray(runs.id, [...ids]), isNull(runs.deletedAt))), (r) => r.id),
    ),
    /** The team a run belongs to, for access checks on many runs at once. */
    runTeam: new DataLoader(async (ids: readonly string[]) => {
      const rows = await db
        .select({ id: runs.id, teamId: projects.teamId })
        .from(runs)
        .innerJoin(projects, eq(projects.id, runs.projectId))
        .where(and(inArray(runs.id, [...ids]), isNull(runs.deletedAt), isNull(projects.deletedAt)));
      return byId(ids, rows, (r) => r.id).map((row) => row?.teamId ?? null);
    }),
    finding: new DataLoader(async (ids: readonly string[]) => byId(ids, await db.select().from(findings).where(inArray(findings.id, [...ids])), (f) => f.id)),
    /** Active findings that speak about a project's runs: looked up once per project per request. */
    activeFindings: new DataLoader((projectIds: readonly string[]) => Promise.all(projectIds.map((id) => activeFindingsFor(store, id)))),
    metricSummaries: new DataLoader(async (runIds: readonly string[]) => {
      const rows = await db.select().from(metricSeries).where(inArray(metricSeries.runId, [...runIds])).orderBy(metricSeries.key);
      return runIds.map((id) => rows.filter((row) => row.runId === id));
    }),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
