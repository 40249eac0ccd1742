'use client';
import { useApolloClient, useQuery, useSubscription } from '@apollo/client/react';
import { plannedSteps, stepsPerEpoch, validateRunConfig } from '@tuneboard/hparams';
import { formatParamValue, paramTypeOf } from '@/lib/project-schema';
import Link from 'next/link';
import { useCallback, useEffect, useMemo, useRef } from 'react';
import { Chart } from '@/charts/chart';
import { buildLineChartOption } from '@/charts/chart-options';
import { toChartPoints } from '@/charts/series-points';
import { RunEventsDocument, RunPageDocument, RunSeriesDocument, type RunDetailFragment } from '@/graphql/generated/graphql';
import { formatMetric, metricNumber } from '@/lib/metric-value';
import { isRunFinished, pruningFigures, runStatusExplanation } from '@/lib/run-status';
import { ErrorNotice, Loading } from '../../../status-views';
import { chartGroupsFor, seriesByKey, type SeriesByKey } from './live-series';
import { lrRangeTestOf, rangeTestChartOption } from './range-test';
import { applyRunEvent, mergeIntoPage, type RunEvent } from './run-cache';
import { FindingCheckBadges } from '../../findings/finding-badges';
import { Annotations, CancelRunButton, NameEditor, NotesEditor, TagsEditor } from './run-editors';
import { RunArtifacts } from './run-artifacts';
import { RunLogPanel } from './run-log-panel';
import { LocalTime } from '../../../local-time';

const MAX_POINTS = 2000;

export function RunView({ runId }: { runId: string }) {
  const client = useApolloClient();
  const variables = useMemo(() => ({ id: runId, maxPoints: MAX_POINTS }), [runId]);
  const { data, error, refetch } = useQuery(RunPageDocument, { variables });
  const series = useMemo(() => seriesByKey(data?.metricSeries ?? []), [data?.metricSeries]);

  // Live updates over graphql-ws, no polling, no refetching: each event is merged into the cache (run-cache.ts).
  // Events that arrive before the page's query are kept until it is loaded. Once the first event shows the
  // subscription is running, the series are re-read once and merged: that closes the gap between the page's
  // query and the subscription starting.
  const pending = useRef<RunEvent[]>([]);
  const caughtUp = useRef(false);
  const catchUp = useCallback(() => {
    if (caughtUp.current) return;
    caughtUp.current = true;
    void client
      .query({ query: RunSeriesDocument, variables, fetchPolicy: 'no-cache' })
      .then(({ data: read }) => read && mergeIntoPage(client.cache, variables, read.metricSeries))
      .catch(() => undefined); // the events keep coming; only the gap stays open
  }, [client, variables]);
  useEffect(() => {
    if (!data?.run || pending.current.length === 0) return;
    for (const event of pending.current.splice(0)) applyRunEvent(client.cache, variables, event);
    catchUp();
  }, [client, variables, data?.run, catchUp]);

  const run = data?.run;
  const finished = run ? isRunFinished(run.status) : false;
  const subscription = useSubscription(RunEventsDocument, {
    variables: { runId },
    // Starts with the page's query, not after it: fewer points fall between the two.
    skip: finished || (data !== undefined && !run),
    // applyRunEvent is the one place events reach the cache (the payload itself is not kept there).
    fetchPolicy: 'no-cache',
    onData: ({ data: result }) => {
      const event = result.data?.runEvents;
      if (!event) return;
      if (applyRunEvent(client.cache, variables, event)) catchUp();
      else pending.current.push(event);
    },
  });

  if (error && !data) return <ErrorNotice error={error} retry={() => void refetch()} />;
  if (!data) return <Loading what="the run" />;
  if (!run) return <ErrorNotice error={new Error('This run does not exist, or belongs to a team you are not in.')} />;
  return <RunDetails run={run} series={series} live={!finished && !subscription.error} subscriptionError={subscription.error} />;
}

function RunDetails({ run, series, live, subscriptionError }: { run: RunDetailFragment; series: SeriesByKey; live: boolean; subscriptionError: unknown }) {
  const config = useMemo(() => {
    const result = validateRunConfig(run.hparams);
    return result.ok ? result.config : undefined;
  }, [run.hparams]);
  const planned = config ? plannedSteps(config) : undefined;
  const stepsDone = Math.max(0, ...[...series.values()].map((s) => (s.steps.length ? s.steps[s.steps.length - 1]! : 0)));
  const progress = planned ? Math.min(1, run.status === 'SUCCEEDED' ? 1 : stepsDone / planned) : undefined;
  const groups = chartGroupsFor(series.keys());
  const perEpoch = config ? stepsPerEpoch(config) : undefined;
  const rangeTest = lrRangeTestOf(run.results, series);
  const params = Object.entries((run.params ?? {}) as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
  // Runs of declared and inferred projects carry each value's type, and come from the team's scripts, not the form.
  const openSchema = run.paramTypes != null;

  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link href="/projects">Projects</Link> / <Link href={`/projects/${run.project.id}`}>{run.project.name}</Link>
        {run.parent && (
          <>
            {' / '}
            <Link href={`/runs/${run.parent.id}`} data-testid="parent-run">
              {run.parent.name}
            </Link>
          </>
        )}
      </nav>
      <div className="row run-title">
        <NameEditor run={run} />
        <span className={`status status-${run.status.toLowerCase()}`} data-testid="run-status" title={runStatusExplanation(run.status)}>
          {run.status.toLowerCase()}
        </span>
        {live && (
          <span className="live" title="Updating live over a WebSocket subscription">
            ● live
          </span>
        )}
        <span className="spacer" />
        <CancelRunButton run={run} />
        {!openSchema && (
          <Link className="button secondary" href={`/projects/${run.project.id}/submit?from=${run.id}`}>
            Duplicate this run
          </Link>
        )}
      </div>
      <TagsEditor run={run} />
      {run.findings.length > 0 && (
        <p className="run-findings">
          Findings: <FindingCheckBadges checks={run.findings} />
        </p>
      )}
      {policyOverrideReason(run.policyOverride) && (
        <p className="notice warning small" data-testid="policy-override">
          Submitted against a policy of the team. Reason given: {policyOverrideReason(run.policyOverride)}
        </p>
      )}
      {subscriptionError ? <ErrorNotice error={subscriptionError} /> : null}

      {progress !== undefined && (
        <div className="progress" aria-label="Progress">
          <progress max={1} value={progress} />
          <span className="muted small">
            step {stepsDone.toLocaleString('en-GB')} of {planned!.toLocaleString('en-GB')}
          </span>
        </div>
      )}

      <dl className="facts wide-facts">
        <dt>Backend / device</dt>
        <dd>{run.backend ? `${run.backend} · ${run.device ?? 'unknown device'}` : openSchema ? 'not reported' : 'not started'}</dd>
        <dt>Created</dt>
        <dd>
          <LocalTime iso={run.createdAt} />
        </dd>
        <dt>Started</dt>
        <dd>
          <LocalTime iso={run.startedAt} />
        </dd>
        <dt>Finished</dt>
        <dd>
          <LocalTime iso={run.finishedAt} />
        </dd>
        <dt>Duration</dt>
        <dd>{run.startedAt ? formatDuration(new Date(run.finishedAt ?? Date.now()).getTime() - new Date(run.startedAt).getTime()) : '—'}</dd>
        {/* Derived facts come from the built-in trainer's config; a script's own run has none. */}
        {!openSchema && (
          <>
            <dt>Parameters</dt>
            <dd>{run.derived.parameterCount.toLocaleString('en-GB')}</dd>
          </>
        )}
        {run.attempt > 1 && (
          <>
            <dt>Attempt</dt>
            <dd>{run.attempt}</dd>
          </>
        )}
        {/* A worker's run resumes from its last checkpoint if the worker is lost (the files are among the artifacts). */}
        {run.checkpoint && (
          <>
            <dt>Last checkpoint</dt>
            <dd>
              after epoch {run.checkpoint.epoch} (step {run.checkpoint.step.toLocaleString('en-GB')}
              {run.attempt > 1 ? `, attempt ${run.checkpoint.attempt}` : ''})
            </dd>
          </>
        )}
      </dl>
      {run.error && (
        <div className="notice error" role="alert">
          <strong>Error:</strong> {run.error}
        </div>
      )}
      {run.status === 'LOST' && (
        <div className="notice warning">
          Lost: the script reporting this run has not been heard from
          {run.lastSeenAt && (
            <>
              {' since '}
              <LocalTime iso={run.lastSeenAt} />
            </>
          )}{' '}
          (no heartbeat or metrics). It probably crashed or lost the network; if it reports again, the run is running again. Cancel it if it will not.
        </div>
      )}
      {run.pruning && (
        <div className="notice" data-testid="run-pruning">
          <strong>Pruned</strong> (early stopping): {run.pruning.reason}
          <span className="muted small"> — {pruningFigures(run.pruning)}.</span>
        </div>
      )}
      {run.divergedAtStep !== null && (
        <div className="notice warning">
          Diverged at step {run.divergedAtStep}
          {run.divergedLearningRate !== null ? ` (learning rate ${formatMetric(run.divergedLearningRate)})` : ''}.
        </div>
      )}

      {run.metrics.length > 0 && (
        <section className="panel" aria-label="Metric summary">
          <h2>{isRunFinished(run.status) ? 'Final metrics' : 'Metrics so far'}</h2>
          <table className="plain small" data-testid="metric-summary">
            <thead>
              <tr>
                <th scope="col">metric</th>
                <th scope="col" className="numeric">
                  last
                </th>
                <th scope="col" className="numeric">
                  min
                </th>
                <th scope="col" className="numeric">
                  max
                </th>
                <th scope="col" className="numeric">
                  at step
                </th>
              </tr>
            </thead>
            <tbody>
              {[...run.metrics]
                .sort((a, b) => a.key.localeCompare(b.key))
                .map((metric) => (
                  <tr key={metric.key}>
                    <th scope="row">{metric.key}</th>
                    <td className="numeric">{metric.last === null ? '—' : formatMetric(metricNumber(metric.last))}</td>
                    <td className="numeric">{metric.min === null ? '—' : formatMetric(metric.min)}</td>
                    <td className="numeric">{metric.max === null ? '—' : formatMetric(metric.max)}</td>
                    <td className="numeric">{metric.lastStep ?? '—'}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </section>
      )}

      <section aria-label="Charts" className="chart-grid">
        {groups.length === 0 && <p className="muted">{run.status === 'QUEUED' ? 'Waiting for a worker to start this run…' : 'No metrics logged yet.'}</p>}
        {groups.map((group) => (
          <Chart
            key={group.title}
            label={group.title}
            option={buildLineChartOption({
              title: group.title,
              xName: 'step',
              series: group.keys.map((key) => ({ name: key, points: toChartPoints(series.get(key)!, { kind: 'step' }) })),
              markers: run.divergedAtStep !== null ? [{ x: run.divergedAtStep, label: 'diverged' }] : [],
            })}
          />
        ))}
        {rangeTest && <Chart label="Learning-rate range test" option={rangeTestChartOption(rangeTest)} />}
      </section>
      {perEpoch && <p className="muted small">{perEpoch} steps per epoch.</p>}

      {/* Runs of declared and inferred projects come from the team's scripts, whose output `tuneboard run` captures. */}
      {openSchema && <RunLogPanel runId={run.id} running={run.status === 'RUNNING'} />}
      {run.children.length > 0 && (
        <section className="panel" aria-label="Nested runs">
          <h2>Nested runs ({run.children.length === 100 ? 'first 100' : run.children.length})</h2>
          <ul className="plain" data-testid="child-runs">
            {run.children.map((child) => (
              <li key={child.id}>
                <Link href={`/runs/${child.id}`}>{child.name}</Link>{' '}
                <span className={`status status-${child.status.toLowerCase()}`}>{child.status.toLowerCase()}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <RunArtifacts runId={run.id} />

      <div className="two-columns">
        <NotesEditor run={run} />
        <Annotations run={run} />
      </div>

      <section className="panel" aria-label="Hyperparameters">
        <h2>Hyperparameters</h2>
        {run.schemaVersion != null && (
          <p className="muted small">
            Validated against version {run.schemaVersion} of the project&apos;s <Link href={`/projects/${run.project.id}/schema`}>declared schema</Link>.
          </p>
        )}
        <table className="plain small">
          <tbody>
            {params.map(([path, value]) => {
              const type = paramTypeOf(run.paramTypes, path);
              return (
                <tr key={path} data-param-path={path}>
                  <th scope="row">{path}</th>
                  <td>{type === undefined ? String(value) : formatParamValue(value, type)}</td>
                  {openSchema && <td className="muted schema-type">{type ?? ''}</td>}
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
    </>
  );
}

function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ${seconds % 60} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** The reason recorded when the run was submitted against a policy finding ({ reason, findingIds, by }). */
function policyOverrideReason(policyOverride: unknown): string | undefined {
  if (typeof policyOverride !== 'object' || policyOverride === null) return undefined;
  const reason = (policyOverride as { reason?: unknown }).reason;
  return typeof reason === 'string' && reason !== '' ? reason : undefined;
}
