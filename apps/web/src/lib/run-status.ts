// The web speaks the API's RunStatus enum (generated from the published schema); the statuses themselves are
// defined in packages/db. A Record over the enum makes a new status fail the type check here until it is placed.
import type { RunStatus } from '@/graphql/generated/graphql';

// A lost run is not finished: its script may report again (it is then running again, or ends as it says).
const FINISHED: Record<RunStatus, boolean> = { QUEUED: false, RUNNING: false, SUCCEEDED: true, FAILED: true, CANCELLED: true, DIVERGED: true, LOST: false };

/** The run has ended one way or another; nothing more will be logged to it. */
export const isRunFinished = (status: RunStatus): boolean => FINISHED[status];

/** How a status reads on the page and names its badge's CSS class (`status-succeeded`). */
export const runStatusLabel = (status: RunStatus): string => status.toLowerCase();

/** What a status means, for a badge's tooltip. */
const EXPLANATION: Record<RunStatus, string> = {
  QUEUED: 'Waiting for a worker to start it',
  RUNNING: 'Training, or being reported by your script',
  SUCCEEDED: 'Finished normally',
  FAILED: 'Ended with an error',
  CANCELLED: 'Stopped by a user',
  DIVERGED: 'Stopped because the loss became NaN, infinite or exploded',
  LOST:
    'Its script sent no heartbeat or metrics for longer than the server allows (default 5 min): it probably crashed or lost ' +
    'the network. It is running again as soon as the script reports.',
};

export const runStatusExplanation = (status: RunStatus): string => EXPLANATION[status];
