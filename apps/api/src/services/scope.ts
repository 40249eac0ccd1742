import { accountStore, findingStore, metricStore, projectStore, runStore, type Store } from '@tuneboard/db';
import DataLoader from 'dataloader';
import type { Logger } from 'pino';
import type { ArtifactStore } from '../artifacts/store';
import type { Actor } from './accounts';
import type { EventBus } from './events';
import { activeFindingsFor, type FindingRechecks } from './findings';

/**
 * What every service call runs with, whatever the transport: the process's dependencies, who is acting and
 * this request's batching loaders. The GraphQL context is a Scope; so is what the CLI builds. Nothing here
 * knows about GraphQL or HTTP.
 */
export interface Scope extends Services {
  /** Who is acting: the token's user and their roles, or null when no token was sent. */
  actor: Actor | null;
  loaders: Loaders;
}

export interface Settings {
  /** How long a worker's claim on a run lasts without a heartbeat. */
  leaseSeconds: number;
  /** How long an EXTERNAL run (reported by a script) may stay RUNNING unheard from before it is marked lost. */
  externalRunTimeoutSeconds: number;
  /** Largest artifact file accepted, in bytes. */
  maxArtifactBytes: number;
}

/** The long-lived dependencies of the services, built once per process. */
export interface Services {
  store: Store;
  events: EventBus;
  logger: Logger;
  settings: Settings;
  /** Re-checks findings as runs finish. */
  rechecks: FindingRechecks;
  /** Where run artifacts are kept (services/artifacts.ts checks access before using it). */
  artifacts: ArtifactStore;
}

export function createScope(services: Services, actor: Actor | null): Scope {
  return { ...services, actor, loaders: createLoaders(services.store) };
}

function byId<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): (V | null)[] {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => map.get(key) ?? null);
}

/** Batched lookups so that listing 50 runs does not cost 50 queries per field (N+1); one set per request. */
function createLoaders(store: Store) {
  return {
    project: new DataLoader(async (ids: readonly string[]) => byId(ids, await projectStore.projectsByIds(store, ids), (p) => p.id)),
    team: new DataLoader(async (ids: readonly string[]) => byId(ids, await accountStore.teamsByIds(store, ids), (t) => t.id)),
    user: new DataLoader(async (ids: readonly string[]) => byId(ids, await accountStore.usersByIds(store, ids), (u) => u.id)),
    run: new DataLoader(async (ids: readonly string[]) => byId(ids, await runStore.runsByIds(store, ids), (r) => r.id)),
    /** The team a run belongs to, for access checks on many runs at once. */
    runTeam: new DataLoader(async (ids: readonly string[]) =>
      byId(ids, await runStore.teamsOfRuns(store, ids), (r) => r.runId).map((row) => row?.teamId ?? null),
    ),
    finding: new DataLoader(async (ids: readonly string[]) => byId(ids, await findingStore.findingsByIds(store, ids), (f) => f.id)),
    /** Active findings that speak about a project's runs: looked up once per project per request. */
    activeFindings: new DataLoader((projectIds: readonly string[]) => Promise.all(projectIds.map((id) => activeFindingsFor(store, id)))),
    metricSummaries: new DataLoader(async (runIds: readonly string[]) => {
      const rows = await metricStore.summariesOfRuns(store, runIds);
      return runIds.map((id) => rows.filter((row) => row.runId === id));
    }),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
