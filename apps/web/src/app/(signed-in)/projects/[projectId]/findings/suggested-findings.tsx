'use client';
// Findings Tuneboard proposes from the project's runs: drafts, each with its evidence in words, that a person records
// (it becomes a finding) or dismisses (remembered for the metric). The statistics are the API's (packages/findings/src/suggestions.ts).
import { useMutation, useQuery } from '@apollo/client/react';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import {
  CreateFindingDocument,
  DismissSuggestedFindingDocument,
  ProjectFindingsDocument,
  ProjectImportanceDocument,
  ProjectSuggestedFindingsDocument,
  type FindingMetricInput,
  type MetricDirection,
} from '@/graphql/generated/graphql';
import { ErrorNotice, Loading } from '../../../../status-views';

/** A loss or an error is better lower; anything else (accuracy, reward) higher — the user can flip it. */
const guessDirection = (key: string): MetricDirection => (/loss|error|perplexity|mse|mae|rmse/i.test(key) ? 'LOWER' : 'HIGHER');

export function SuggestedFindings({ projectId }: { projectId: string }) {
  const findings = useQuery(ProjectFindingsDocument, { variables: { projectId } });
  const importance = useQuery(ProjectImportanceDocument, { variables: { projectId } });
  const [picked, setPicked] = useState<FindingMetricInput | null>(null);
  const own = (findings.data?.findings ?? []).filter((f) => f.project.id === projectId);
  const oldest = own[own.length - 1];
  const defaultKey = importance.data?.project?.importance.metric ?? null;
  const metric: FindingMetricInput | null =
    picked ??
    (oldest
      ? { key: oldest.metric.key, aggregate: oldest.metric.aggregate, direction: oldest.metric.direction }
      : defaultKey
        ? { key: defaultKey, aggregate: 'LAST', direction: guessDirection(defaultKey) }
        : null);
  const suggestions = useQuery(ProjectSuggestedFindingsDocument, { variables: { projectId, metric: metric! }, skip: !metric });
  const [createFinding, creation] = useMutation(CreateFindingDocument);
  const [dismiss, dismissal] = useMutation(DismissSuggestedFindingDocument);
  const router = useRouter();
  const metricKeys = importance.data?.project?.importance.metricKeys ?? [];
  const result = (suggestions.data ?? suggestions.previousData)?.project?.suggestedFindings;

  return (
    <section className="panel suggested-findings" aria-labelledby="suggested-findings-heading">
      <h2 id="suggested-findings-heading">Suggested findings</h2>
      {importance.error && !importance.data && <ErrorNotice error={importance.error} retry={() => void importance.refetch()} />}
      {!metric && !importance.error && (importance.data ? <p className="muted">No run has logged a metric yet.</p> : <Loading what="suggested findings" />)}
      {metric && (
        <div className="toolbar" aria-label="Suggestion settings">
          <label>
            metric{' '}
            <select
              aria-label="suggestion metric"
              value={metric.key}
              onChange={(e) => setPicked({ ...metric, key: e.target.value, direction: guessDirection(e.target.value) })}
            >
              {[...new Set([metric.key, ...metricKeys])].map((key) => (
                <option key={key} value={key}>
                  {key}
                </option>
              ))}
            </select>
          </label>
          <label>
            better{' '}
            <select aria-label="better when" value={metric.direction} onChange={(e) => setPicked({ ...metric, direction: e.target.value as MetricDirection })}>
              <option value="HIGHER">higher</option>
              <option value="LOWER">lower</option>
            </select>
          </label>
          {suggestions.loading && <span className="muted small">scanning…</span>}
        </div>
      )}
      {suggestions.error && <ErrorNotice error={suggestions.error} retry={() => void suggestions.refetch()} />}
      {result &&
        (result.refusal ? (
          <p className="notice" role="status">
            {result.refusal}
          </p>
        ) : result.suggestions.length === 0 ? (
          <p className="muted" role="status">
            No rule stands out: {result.candidatesTested} single-path rules tested on {result.configurations} configurations, none with a false discovery rate
            under {Math.round(result.fdr * 100)}% and an effect size of {result.minEffectSize} or more.
          </p>
        ) : (
          <>
            <p className="muted small">
              Drafts, not findings yet: {result.candidatesTested} single-path rules tested on {result.configurations} configurations (seeds averaged), false
              discovery rate held at {Math.round(result.fdr * 100)}% across all of them.
            </p>
            <ul className="suggestion-list">
              {result.suggestions.map((s) => (
                <li key={s.rule} data-suggested-rule={s.rule}>
                  <p>
                    <code>{s.rule}</code> — {s.title}
                  </p>
                  <p className="small">{s.statement}</p>
                  <button
                    type="button"
                    disabled={creation.loading}
                    onClick={async () => {
                      const created = await createFinding({
                        variables: { input: { projectId, title: s.title, statement: s.statement, rule: s.rule, metric: { ...metric! } } },
                      }).catch(() => null);
                      if (created?.data) router.push(`/findings/${created.data.createFinding.id}`);
                    }}
                  >
                    Record this finding
                  </button>{' '}
                  <button
                    type="button"
                    className="secondary"
                    disabled={dismissal.loading}
                    onClick={async () => {
                      const done = await dismiss({ variables: { projectId, metric: metric!.key, rule: s.rule } }).catch(() => null);
                      if (done?.data) await suggestions.refetch();
                    }}
                  >
                    Dismiss
                  </button>
                </li>
              ))}
            </ul>
          </>
        ))}
      {creation.error && <ErrorNotice error={creation.error} />}
      {dismissal.error && <ErrorNotice error={dismissal.error} />}
    </section>
  );
}
