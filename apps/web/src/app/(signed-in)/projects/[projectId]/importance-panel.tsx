'use client';
// Which hyperparameters a metric depends on, shown beside compare and on the findings page: a bar chart with
// interval whiskers (loaded lazily, with ECharts) and the same figures as a table for screen readers and copying.
import { useQuery } from '@apollo/client/react';
import dynamic from 'next/dynamic';
import { useState } from 'react';
import { percent } from '@/charts/importance-options';
import { ProjectImportanceDocument, type MetricAggregate, type ProjectImportanceQuery } from '@/graphql/generated/graphql';
import { ErrorNotice, Loading } from '../../../status-views';

const ImportanceChart = dynamic(() => import('@/charts/importance-chart').then((m) => m.ImportanceChart), {
  ssr: false,
  loading: () => <Loading what="the importance chart" />,
});

const AGGREGATES: MetricAggregate[] = ['LAST', 'MIN', 'MAX'];

export function ImportancePanel({ projectId }: { projectId: string }) {
  // Null until the user picks: the API then ranks by the project's oldest finding's metric, else its first metric.
  const [picked, setPicked] = useState<{ metric: string; aggregate: MetricAggregate } | null>(null);
  const { data, previousData, error, loading, refetch } = useQuery(ProjectImportanceDocument, {
    variables: { projectId, ...(picked ? { metric: picked.metric, aggregate: picked.aggregate } : {}) },
  });
  const importance = (data ?? previousData)?.project?.importance;

  return (
    <section className="panel importance-panel" aria-labelledby="importance-heading">
      <h2 id="importance-heading">Hyperparameter importance</h2>
      {error && !importance && <ErrorNotice error={error} retry={() => void refetch()} />}
      {!importance && !error && <Loading what="hyperparameter importance" />}
      {importance && (
        <>
          {importance.metricKeys.length > 0 && (
            <div className="toolbar" aria-label="Importance settings">
              <label>
                metric{' '}
                <select
                  aria-label="importance metric"
                  value={importance.metric ?? ''}
                  onChange={(e) => setPicked({ metric: e.target.value, aggregate: importance.aggregate })}
                >
                  {importance.metricKeys.map((key) => (
                    <option key={key} value={key}>
                      {key}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                value{' '}
                <select
                  aria-label="importance metric value"
                  value={importance.aggregate}
                  onChange={(e) => setPicked({ metric: importance.metric ?? '', aggregate: e.target.value as MetricAggregate })}
                >
                  {AGGREGATES.map((aggregate) => (
                    <option key={aggregate} value={aggregate}>
                      {aggregate.toLowerCase()}
                    </option>
                  ))}
                </select>
              </label>
              {loading && <span className="muted small">updating…</span>}
            </div>
          )}
          {error && <ErrorNotice error={error} />}
          {importance.refusal ? (
            <p className="notice" role="status" data-importance-refusal>
              {importance.refusal}
            </p>
          ) : (
            <ImportanceFigures importance={importance} />
          )}
        </>
      )}
    </section>
  );
}

type Importance = NonNullable<ProjectImportanceQuery['project']>['importance'];

function ImportanceFigures({ importance }: { importance: Importance }) {
  const metricName = `${importance.aggregate.toLowerCase()}(${importance.metric})`;
  const level = Math.round(importance.level * 100);
  const r2 = importance.explainedVariance;
  return (
    <>
      <ImportanceChart bars={importance.paths} metricName={metricName} />
      <table className="plain importance-table" aria-label={`Hyperparameter importance for ${metricName}`}>
        <thead>
          <tr>
            <th scope="col">Path</th>
            <th scope="col">Share</th>
            <th scope="col">{level}% interval</th>
            <th scope="col">Scale</th>
          </tr>
        </thead>
        <tbody>
          {importance.paths.map((p) => (
            <tr key={p.path} data-path={p.path}>
              <th scope="row">
                <code>{p.path}</code>
                {p.isSeed && <span className="muted small"> (seed)</span>}
              </th>
              <td>{percent(p.share)}</td>
              <td>
                {percent(p.low)}–{percent(p.high)}
              </td>
              <td>{p.scale}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">
        {importance.runsUsed} runs in {importance.configurations} configurations
        {importance.runsUsed < importance.runsAvailable && ` (a sample of ${importance.runsAvailable})`}
        {r2 !== null && `; together the paths explain ${Math.max(0, Math.round(r2 * 100))}% of the metric's variance on configurations left out of each tree`}.
        Shares come from a random forest (permutation importance); intervals resample configurations, so seeds of one configuration count once.
        {importance.constantPaths.length > 0 && ` Not ranked (one value in every run): ${importance.constantPaths.join(', ')}.`}
      </p>
      {r2 !== null && r2 < 0.5 && (
        <p className="notice" role="note">
          The forest explains little of this metric ({Math.round(r2 * 100)}%): noise or paths Tuneboard does not see dominate, so treat the ranking as a rough
          guide.
        </p>
      )}
    </>
  );
}
