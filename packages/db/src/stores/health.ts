import type { Store } from '../client';

/** Resolves when the database answers a trivial query: what /healthz reports. */
export async function pingStore(store: Store): Promise<void> {
  await store.query('select 1');
}
