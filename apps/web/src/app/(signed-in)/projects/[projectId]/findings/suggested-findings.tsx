'use client';
// Findings Tuneboard proposes from the project's runs: drafts, each with its evidence in words, that a person records
// (it becomes a finding), edits in the finding form before recording, or dismisses (remembered for the metric).
// The statistics are the API's (packages/findings/src/suggestions.ts).
import { useMutation, useQuery } from '@apollo/client/react';
import type { Vocabulary } from '@tuneboard/filter';
import { useRouter } from 'next/navigation';
import { useMemo, useState } from 'react';
import {
  CreateFindingDocument,
  DismissSuggestedFindingDocument,
  ProjectFindingsDocument,
  ProjectImportanceDocument,
  ProjectSchemaDocument,
  ProjectSuggestedFindingsDocument,
  type FindingMetricInput,
  type MetricDirection,
} from '@/graphql/generated/graphql';
import { schemaVocabulary } from '@/lib/project-schema';
import { ErrorNotice, Loading } from '../../../../status-views';
import { FindingForm } from '../../../findings/finding-form';
import { findingInputFields } from '../../../findings/finding-form-state';
import { findingDraftFromSuggestion, suggestionReference, type SuggestionFields } from './suggestion-draft';

/** "40 rules tested (16 of them within one level of another path)": the size of the correction. */
const rulesTested = (r: { candidatesTested: number; scopedCandidatesTested: number }) =>
  `${r.candidatesTested} rules tested` + (r.scopedCandidatesTested > 0 ? ` (${r.scopedCandidatesTested} of them within one level of another path)` : '');

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
  const schemaQuery = useQuery(ProjectSchemaDocument, { variables: { id: projectId } });
  const vocabulary = useMemo(() => schemaVocabulary(schemaQuery.data?.project?.hparamSchema), [schemaQuery.data]);
  // The suggestion open in the finding form (by rule and scope), if any.
  const [editing, setEditing] = useState<string | null>(null);
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
            No rule stands out: {rulesTested(result)} on {result.configurations} configurations, none with a false discovery rate under{' '}
            {Math.round(result.fdr * 100)}% and an effect size of {result.minEffectSize} or more.
          </p>
        ) : (
          <>
            <p className="muted small">
              Drafts, not findings yet: {rulesTested(result)} on {result.configurations} configurations (seeds averaged), false discovery rate held at{' '}
              {Math.round(result.fdr * 100)}% across all of them.
            </p>
            <ul className="suggestion-list">
              {result.suggestions.map((s) => {
                const id = `${s.rule}\n${s.scope}`;
                const record = (input: ReturnType<typeof findingInputFields>) =>
                  createFinding({ variables: { input: { projectId, ...input, fromSuggestion: suggestionReference(s, metric!) } } })
                    .then((created) => {
                      if (created.data) router.push(`/findings/${created.data.createFinding.id}`);
                    })
                    .catch(() => undefined);
                return (
                  <li key={id} data-suggested-rule={s.rule} data-suggested-scope={s.scope}>
                    <p>
                      <code>{s.rule}</code>
                      {s.scope !== '' && (
                        <>
                          {' '}
                          where <code>{s.scope}</code>
                        </>
                      )}{' '}
                      — {s.title}
                    </p>
                    <p className="small">{s.statement}</p>
                    {editing === id ? (
                      <EditSuggestion
                        suggestion={s}
                        metric={metric!}
                        vocabulary={vocabulary}
                        submitting={creation.loading}
                        error={creation.error}
                        onSubmit={(input) => void record(input)}
                        onCancel={() => setEditing(null)}
                      />
                    ) : (
                      <>
                        <button
                          type="button"
                          disabled={creation.loading}
                          onClick={() => void record(findingInputFields(findingDraftFromSuggestion(s, metric!)))}
                        >
                          Record this finding
                        </button>{' '}
                        <button type="button" className="secondary" onClick={() => setEditing(id)}>
                          Edit before recording
                        </button>{' '}
                        <button
                          type="button"
                          className="secondary"
                          disabled={dismissal.loading}
                          onClick={async () => {
                            const done = await dismiss({ variables: { projectId, metric: metric!.key, rule: s.rule, scope: s.scope } }).catch(() => null);
                            if (done?.data) await suggestions.refetch();
                          }}
                        >
                          Dismiss
                        </button>
                      </>
                    )}
                  </li>
                );
              })}
            </ul>
          </>
        ))}
      {creation.error && editing === null && <ErrorNotice error={creation.error} />}
      {dismissal.error && <ErrorNotice error={dismissal.error} />}
    </section>
  );
}

/** The finding form prefilled from a suggestion; recorded through createFinding, checked as any new finding. */
function EditSuggestion({
  suggestion,
  metric,
  vocabulary,
  submitting,
  error,
  onSubmit,
  onCancel,
}: {
  suggestion: SuggestionFields;
  metric: FindingMetricInput;
  vocabulary: Vocabulary | undefined;
  submitting: boolean;
  error?: unknown;
  onSubmit: (input: ReturnType<typeof findingInputFields>) => void;
  onCancel: () => void;
}) {
  return (
    <div className="suggestion-edit" aria-label={`Edit the suggestion ${suggestion.rule}`} role="group">
      <FindingForm
        initial={findingDraftFromSuggestion(suggestion, metric)}
        citableRuns={[]}
        submitLabel="Record finding"
        submitting={submitting}
        error={error}
        vocabulary={vocabulary}
        onSubmit={(draft) => onSubmit(findingInputFields(draft))}
        onCancel={onCancel}
      />
    </div>
  );
}
