import { computeImportance, type FindingMetric, type Importance } from '@tuneboard/findings';
import { badUserInput } from './errors';
import { oneAtATime } from './fairness';
import { computeImportanceOffThread, forMetric } from './off-thread';
import { activeFindingsFor, loadEvidenceRuns } from './findings';
import type { Scope } from './scope';

type Aggregate = FindingMetric['aggregate'];

export interface ProjectImportance extends Importance {
  metric: string | null;
  aggregate: Aggregate;
  /** Every metric the project's runs logged, the script's own before system/… ones (for a metric picker). */
  metricKeys: string[];
}

const isSystemMetric = (key: string) => key.startsWith('system/');

/**
 * Hyperparameter importance of a project's metric: its runs (loaded the way a finding's evidence is), ranked by
 * @tuneboard/findings. Without a metric, the metric of the project's oldest active finding, else its first logged
 * metric. The project has been checked by the caller (a Project field resolves only for a readable project).
 */
export function projectImportance(
  scope: Pick<Scope, 'store'>,
  project: { id: string },
  request: { key: string | null; aggregate: Aggregate | null },
): Promise<ProjectImportance> {
  const asked = request.key?.trim() ?? null;
  if (asked === '') throw badUserInput('Name the metric to rank hyperparameters by, e.g. test.accuracy', [{ path: 'metric', message: 'empty' }]);
  // One computation at a time per request: it reads every run of the project and fits a few hundred trees.
  return oneAtATime(scope, async () => {
    const runs = await loadEvidenceRuns(scope.store, { projectId: project.id, sharedWithTeam: false });
    const metricKeys = loggedMetricKeys(runs);
    let key = asked;
    let aggregate = request.aggregate;
    if (key === null) {
      const findings = (await activeFindingsFor(scope.store, project.id))
        .filter((f) => f.projectId === project.id && metricKeys.includes(f.metricKey))
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
      key = findings[0]?.metricKey ?? metricKeys[0] ?? null;
      aggregate ??= findings[0]?.metricAggregate ?? null;
    }
    aggregate ??= 'last';
    if (key === null)
      return {
        ...computeImportance([], { key: '', aggregate }),
        refusal: 'No run of this project has logged a metric yet.',
        metric: null,
        aggregate,
        metricKeys,
      };
    assertLoggedMetric(metricKeys, key);
    return { ...(await computeImportanceOffThread(forMetric(runs, key), { key, aggregate })), metric: key, aggregate, metricKeys };
  });
}

/** Every metric key the runs logged, the script's own before system/… ones. */
export function loggedMetricKeys(runs: readonly { metrics?: Record<string, unknown> }[]): string[] {
  return [...new Set(runs.flatMap((run) => Object.keys(run.metrics ?? {})))].sort(
    (a, b) => Number(isSystemMetric(a)) - Number(isSystemMetric(b)) || a.localeCompare(b),
  );
}

/** BAD_USER_INPUT naming the metrics the project has, when no run logged `key`. */
export function assertLoggedMetric(metricKeys: readonly string[], key: string): void {
  if (metricKeys.includes(key)) return;
  const hint = metricKeys.length
    ? `its runs logged ${metricKeys
        .slice(0, 10)
        .map((k) => `"${k}"`)
        .join(', ')}${metricKeys.length > 10 ? '…' : ''}`
    : 'its runs have logged no metric yet';
  throw badUserInput(`No run of this project logged a metric "${key}"; ${hint}`, [{ path: 'metric', message: 'unknown metric' }]);
}
