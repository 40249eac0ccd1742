import { computeImportance, type FindingMetric, type Importance } from '@tuneboard/findings';
import { badUserInput } from './errors';
import { oneAtATime } from './fairness';
import { loadEvidenceRuns } from './findings';
import type { Scope } from './scope';

/**
 * Hyperparameter importance of a project's metric: its runs (loaded the way a finding's evidence is), ranked by
 * @tuneboard/findings. The project has been checked by the caller (a Project field resolves only for a readable project).
 */
export function projectImportance(
  scope: Pick<Scope, 'store'>,
  project: { id: string },
  metric: { key: string; aggregate: FindingMetric['aggregate'] },
): Promise<Importance> {
  const key = metric.key.trim();
  if (key === '') throw badUserInput('Name the metric to rank hyperparameters by, e.g. test.accuracy', [{ path: 'metric', message: 'empty' }]);
  // One computation at a time per request: it reads every run of the project and fits a few hundred trees.
  return oneAtATime(scope, async () => {
    const runs = await loadEvidenceRuns(scope.store, { projectId: project.id, sharedWithTeam: false });
    if (!runs.some((run) => run.metrics?.[key] !== undefined)) {
      const known = [...new Set(runs.flatMap((run) => Object.keys(run.metrics ?? {})))].sort();
      const hint = known.length
        ? `its runs logged ${known
            .slice(0, 10)
            .map((k) => `"${k}"`)
            .join(', ')}${known.length > 10 ? '…' : ''}`
        : 'its runs have logged no metric yet';
      throw badUserInput(`No run of this project logged a metric "${key}"; ${hint}`, [{ path: 'metric', message: 'unknown metric' }]);
    }
    return computeImportance(runs, { key, aggregate: metric.aggregate });
  });
}
