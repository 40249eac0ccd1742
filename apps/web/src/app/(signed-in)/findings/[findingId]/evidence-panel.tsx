// A finding's evidence as the API computed it from the runs: the chart, the statistics, the verdict, and
// what could undermine it (contesting runs, confounders).
import Link from 'next/link';
import { Chart } from '@/charts/chart';
import { buildEvidenceOption } from '@/charts/evidence-options';
import { prefersLogAxis } from '@/charts/series-points';
import type { FindingPageQuery } from '@/graphql/generated/graphql';
import { boundaryLines, ruleBoundary } from '@/lib/finding-rules';
import { formatMetric } from '@/lib/metric-value';
import { FindingStatusBadge } from '../finding-badges';
import { comparisonText, sideCounts, strataText } from './evidence-text';

type Finding = NonNullable<FindingPageQuery['finding']>;
type Evidence = Finding['evidence'];
type Group = Evidence['satisfying'];

export function EvidencePanel({ finding }: { finding: Finding }) {
  const evidence = finding.evidence;
  const axis = finding.ruleParams[0];
  const metricName = `${finding.metric.aggregate.toLowerCase()}(${finding.metric.key})`;
  const points = evidence.points.map((point) => ({
    runName: point.run.name,
    side: point.side,
    x: axis ? (point.ruleParams as Record<string, number | string | boolean> | null)?.[axis] : undefined,
    y: point.value,
    cited: point.cited,
    experiment: point.experiment,
  }));
  const numericXs = points.flatMap((p) => (typeof p.x === 'number' ? [p.x] : []));
  const boundary = axis ? ruleBoundary(finding.rule, axis) : undefined;
  const needed = evidence.minConfigurationsPerGroup;
  const enough = evidence.satisfying.configurationCount >= needed && evidence.violating.configurationCount >= needed;
  const { stratified, bestPerGroup } = evidence;

  return (
    <section className="panel" aria-label="Evidence">
      <div className="toolbar">
        <h2>Evidence</h2>
        <span className="muted">the evidence supports</span> <FindingStatusBadge status={evidence.status} />
      </div>
      <p className={`verdict${enough ? '' : ' muted'}`} data-testid="verdict">
        {evidence.verdict}
      </p>
      {points.length > 0 && axis ? (
        <Chart
          label="Evidence"
          height={320}
          option={buildEvidenceOption({
            xName: axis,
            yName: metricName,
            logX: prefersLogAxis(axis, numericXs),
            points,
            boundary: boundary ? boundaryLines(boundary) : undefined,
          })}
        />
      ) : (
        <p className="muted">No finished run in scope has logged {metricName} yet: nothing to plot.</p>
      )}
      <p className="muted small">
        Each point is a finished run in scope; exact duplicates (same configuration and seed) are one larger point marked ×n at their mean, as the statistics
        count them once; ◆ marks the runs the author cited.
      </p>

      <table className="plain evidence-stats" aria-label="Statistics">
        <thead>
          <tr>
            <th>Runs that</th>
            <th>configurations, runs</th>
            <th className="numeric">median</th>
            <th className="numeric">mean</th>
            <th>best</th>
            <th className="numeric">excluded</th>
          </tr>
        </thead>
        <tbody>
          <GroupRow label={`follow ${finding.rule}`} side="satisfying" group={evidence.satisfying} needed={needed} />
          <GroupRow label="break it" side="violating" group={evidence.violating} needed={needed} />
        </tbody>
      </table>
      <dl className="facts">
        <dt>Difference of means</dt>
        <dd data-testid="evidence-difference">
          {evidence.difference === null || evidence.difference === undefined
            ? 'needs runs on both sides'
            : `${evidence.difference >= 0 ? '+' : ''}${formatMetric(evidence.difference)} (positive favours the finding; ${finding.metric.direction.toLowerCase()} is better)`}
        </dd>
        <dt>{evidence.interval ? `${Math.round(evidence.interval.level * 100)}% interval` : 'Interval'}</dt>
        <dd>
          {evidence.interval
            ? `${formatMetric(evidence.interval.low)} to ${formatMetric(evidence.interval.high)} (bootstrap over configurations: seeds of one configuration are not independent)`
            : 'needs runs on both sides'}
        </dd>
        <dt>Not counted</dt>
        <dd>
          {evidence.notFinished} in-scope {evidence.notFinished === 1 ? 'run' : 'runs'} not finished, failed, cancelled or pruned
        </dd>
      </dl>

      <h3>Like with like</h3>
      <p className="muted small">
        The pooled comparison above mixes whatever else differs between the sides; these compare matched runs (docs/statistics.md says how).
      </p>
      {[stratified.disagreement, bestPerGroup.disagreement]
        .filter((note): note is string => Boolean(note))
        .map((note) => (
          <p key={note} className="notice warning" role="note" data-testid="evidence-disagreement">
            {note}
          </p>
        ))}
      {evidence.edgeOfRange.map((flag) => (
        <p key={flag.path} className="notice warning" role="note" data-testid="evidence-edge">
          {flag.message}
        </p>
      ))}
      <dl className="facts">
        <dt>Stratified</dt>
        <dd data-testid="evidence-stratified">
          {comparisonText(stratified, `no two configurations differ only in ${finding.ruleParams.join(', ')}: nothing to match`)}
          {stratified.difference !== null && (
            <span className="muted small">
              {' '}
              — {strataText(stratified, finding.ruleParams)}; {sideCounts(stratified.satisfying)} follow, {sideCounts(stratified.violating)} break
            </span>
          )}
        </dd>
        <dt>Best per group</dt>
        <dd data-testid="evidence-best-per-group">
          {comparisonText(bestPerGroup, 'needs runs on both sides')}
          <span className="muted small"> — mean of the best configuration per {finding.ruleParams.join(', ')} value, following vs breaking</span>
        </dd>
      </dl>
      {bestPerGroup.groups.length > 0 && (
        <table className="plain small" aria-label="Best per group">
          <thead>
            <tr>
              <th>group</th>
              <th className="numeric">best</th>
              <th>with</th>
              <th>configurations, runs</th>
            </tr>
          </thead>
          <tbody>
            {bestPerGroup.groups.map((group) => (
              <tr key={`${group.side}:${group.label}`} data-evidence-group={group.side.toLowerCase()}>
                <th scope="row">
                  <span className={`side-dot side-${group.side.toLowerCase()}`} /> {group.label}
                </th>
                <td className="numeric">{formatMetric(group.value)}</td>
                <td>
                  {group.setting || 'one configuration'}
                  {group.runs[0] && (
                    <>
                      {' '}
                      (<Link href={`/runs/${group.runs[0].id}`}>{group.runs[0].name}</Link>
                      {group.runs.length > 1 ? ` and ${group.runs.length - 1} more` : ''})
                    </>
                  )}
                </td>
                <td>{sideCounts(group)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {evidence.contestingRuns.length > 0 && (
        <>
          <h3>Contesting runs</h3>
          <p className="muted small">These break the rule yet beat the best run that follows it.</p>
          <ul>
            {evidence.contestingRuns.map((run) => (
              <li key={run.id}>
                <Link href={`/runs/${run.id}`}>{run.name}</Link>
              </li>
            ))}
          </ul>
        </>
      )}
      {evidence.confounders.length > 0 && (
        <>
          <h3>Possible confounders</h3>
          <p className="muted small">Other hyperparameters set differently in the two groups: the difference may come from them.</p>
          <table className="plain small">
            <thead>
              <tr>
                <th>hyperparameter</th>
                <th>runs that follow</th>
                <th>runs that break</th>
                <th className="numeric">strength</th>
              </tr>
            </thead>
            <tbody>
              {evidence.confounders.map((c) => (
                <tr key={c.path}>
                  <td>
                    <code>{c.path}</code>
                  </td>
                  <td>{c.satisfying}</td>
                  <td>{c.violating}</td>
                  <td className="numeric">{formatMetric(c.strength)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function GroupRow({ label, side, group, needed }: { label: string; side: 'satisfying' | 'violating'; group: Group; needed: number }) {
  const excluded = group.excludedNonFinite + group.excludedMissing;
  return (
    <tr data-evidence-group={side}>
      <th scope="row">
        <span className={`side-dot side-${side}`} /> {label}
      </th>
      <td>
        {sideCounts(group)}
        {group.configurationCount < needed && (
          <span className="muted small">
            {' '}
            ({group.configurationCount} of {needed} configurations needed)
          </span>
        )}
      </td>
      <td className="numeric">{formatMetric(group.median)}</td>
      <td className="numeric">{formatMetric(group.mean)}</td>
      <td>{group.best ? <Link href={`/runs/${group.best.run.id}`}>{`${group.best.run.name} (${formatMetric(group.best.value)})`}</Link> : ''}</td>
      <td className="numeric" title={`${group.excludedNonFinite} NaN/infinite, ${group.excludedMissing} never logged the metric`}>
        {excluded > 0 ? excluded : ''}
      </td>
    </tr>
  );
}
