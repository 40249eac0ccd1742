// The web speaks the API's RunStatus enum (generated from the published schema); the statuses themselves are
// defined in packages/db. A Record over the enum makes a new status fail the type check here until it is placed.
import type { RunStatus } from '@/graphql/generated/graphql';

// A lost run is not finished: its script may report again (it is then running again, or ends as it says).
const FINISHED: Record<RunStatus, boolean> = {
  QUEUED: false,
  RUNNING: false,
  SUCCEEDED: true,
  FAILED: true,
  CANCELLED: true,
  DIVERGED: true,
  LOST: false,
  PRUNED: true,
};

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
  PRUNED: 'Stopped early by early stopping (a sweep): its metric was behind the others at a checkpoint. Its history so far is kept.',
};

export const runStatusExplanation = (status: RunStatus): string => EXPLANATION[status];

/** The figures of an early-stopping decision (Run.pruning), in words: "at epoch 3: 0.81 against a cutoff of 0.86, among 7 trials". */
export function pruningFigures(p: {
  resource: number;
  unit?: string | null;
  value?: number | null;
  cutoff?: number | null;
  competitors?: number | null;
}): string {
  const at = `at ${p.unit ? `${p.unit} ` : ''}${figure(p.resource)}`;
  const compared =
    p.value != null && p.cutoff != null
      ? `: ${figure(p.value)} against a cutoff of ${figure(p.cutoff)}`
      : p.value != null
        ? `: ${figure(p.value)}`
        : p.cutoff != null
          ? `: cutoff ${figure(p.cutoff)}`
          : '';
  const among = p.competitors != null ? `, among ${p.competitors} ${p.competitors === 1 ? 'trial' : 'trials'}` : '';
  return `${at}${compared}${among}`;
}

const figure = (x: number) => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4))));
