// The web speaks the API's RunStatus enum (generated from the published schema); the statuses themselves are
// defined in packages/db. A Record over the enum makes a new status fail the type check here until it is placed.
import type { RunStatus } from '@/graphql/generated/graphql';

const FINISHED: Record<RunStatus, boolean> = { QUEUED: false, RUNNING: false, SUCCEEDED: true, FAILED: true, CANCELLED: true, DIVERGED: true };

/** The run has ended one way or another; nothing more will be logged to it. */
export const isRunFinished = (status: RunStatus): boolean => FINISHED[status];

/** How a status reads on the page and names its badge's CSS class (`status-succeeded`). */
export const runStatusLabel = (status: RunStatus): string => status.toLowerCase();
