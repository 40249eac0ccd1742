// A worker thread of off-thread.ts's pool. Tuneboard runs its TypeScript through tsx, whose loader a worker
// thread does not inherit: register it here, then load the pure computations.
import { register } from 'tsx/esm/api';

register();
const { computeImportance, suggestFindings } = await import('@tuneboard/findings');

/** One task: which computation, and its arguments (structured-cloned in, the result cloned back). */
export default function compute({ task, args }) {
  if (task === 'importance') return computeImportance(...args);
  if (task === 'suggestions') return suggestFindings(...args);
  throw new Error(`compute-worker: unknown task ${task}`);
}
