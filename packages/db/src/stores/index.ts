/**
 * The stores: every query Tuneboard runs, one module per domain. Services import these namespaces
 * (`projectStore.createProject(store, …)`) and never see Drizzle or SQL; lint keeps `drizzle-orm` inside
 * packages/db. A store function takes a Handle (the store, or a transaction from `inTransaction`) and plain
 * values, and returns rows; it knows nothing of actors, permissions or GraphQL — services do that.
 */
export { inTransaction, type Handle } from './handle';
export { pingStore } from './health';
export * as accountStore from './accounts';
export * as eventStore from './events';
export * as findingStore from './findings';
export * as invitationStore from './invitations';
export * as metricStore from './metrics/index';
export * as projectStore from './projects';
export * as queueStore from './queue';
export * as rateLimitStore from './rate-limits';
export * as runStore from './runs';
export * as logStore from './logs';
export * as mlflowStore from './mlflow';
export * as searchStore from './search';
export * as findingSuggestionStore from './finding-suggestions';
