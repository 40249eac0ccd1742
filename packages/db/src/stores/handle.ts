import type { Store } from '../client';

/**
 * What a store function runs its queries on: the store itself, or the transaction `inTransaction` hands out.
 * Services pass it along without looking inside; only code in packages/db reads `db` or `query`.
 */
export type Handle = Pick<Store, 'db' | 'query' | 'arrayParam'>;

/**
 * Runs `work` in one transaction: every store call given `tx` commits or rolls back together. Use it when a
 * service must change two things atomically; a single store function that needs a transaction opens its own.
 */
export async function inTransaction<T>(store: Store, work: (tx: Handle) => Promise<T>): Promise<T> {
  return store.db.transaction(async (db) => {
    const tx: Handle = {
      db,
      arrayParam: store.arrayParam,
      query: () => {
        throw new Error('Raw queries are not available inside inTransaction; write the step with the query builder');
      },
    };
    return work(tx);
  });
}
