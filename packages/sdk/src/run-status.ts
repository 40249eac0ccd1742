/**
 * Run statuses as the GraphQL API spells them (its RunStatus enum). The SDK stays free of the server's packages,
 * so it names them here once; apps/api's schema test holds this type to the enum and to packages/db's list.
 */
export type RunStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'DIVERGED' | 'LOST' | 'PRUNED';

/** A run's status a script may set as it ends (PRUNED is pruneRun's alone, with its decision). */
export type FinalStatus = Exclude<RunStatus, 'QUEUED' | 'RUNNING' | 'LOST' | 'PRUNED'>;

/** How a finished run ended (the API's RunOutcome enum): what a worker reports when its leased run ends. */
export type RunOutcome = Extract<RunStatus, 'SUCCEEDED' | 'FAILED' | 'DIVERGED'>;
