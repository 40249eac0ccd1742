/**
 * The run statuses, defined once. The database stores them in lower case (the runs table's check constraint is
 * built from this list); GraphQL's RunStatus enum spells the same names in upper case, and the two helpers
 * below are the only place that converts between the casings.
 */
export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'diverged', 'lost', 'pruned'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * Statuses a run never leaves on its own: it has finished, one way or another. `pruned`: early stopping ended it
 * (pruneRun, with the decision recorded on the run); its history is kept but partial.
 */
export const TERMINAL_RUN_STATUSES = ['succeeded', 'failed', 'cancelled', 'diverged', 'pruned'] as const satisfies readonly RunStatus[];
export type TerminalRunStatus = (typeof TERMINAL_RUN_STATUSES)[number];

/**
 * Statuses of a run not finished yet: waiting for a worker, training, or lost (an EXTERNAL run whose script went
 * silent past the timeout; it comes back to running when it reports again, so it is not final).
 */
export const UNFINISHED_RUN_STATUSES = ['queued', 'running', 'lost'] as const satisfies readonly RunStatus[];

export const isTerminalRunStatus = (status: RunStatus): status is TerminalRunStatus => (TERMINAL_RUN_STATUSES as readonly RunStatus[]).includes(status);

/** GraphQL's spelling of a run status (the RunStatus enum, and the RunOutcome subset). */
export type GraphQLRunStatus = Uppercase<RunStatus>;

export const toGraphQLRunStatus = <S extends RunStatus>(status: S) => status.toUpperCase() as Uppercase<S>;
export const fromGraphQLRunStatus = <S extends GraphQLRunStatus>(status: S) => status.toLowerCase() as Lowercase<S>;
