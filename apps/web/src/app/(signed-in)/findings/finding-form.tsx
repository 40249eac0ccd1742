'use client';
// The finding form, used to record a finding (from the compare view) and to edit one (on its page). The rule
// and scope are checked as they are typed, with the filter bar's parser and the project's vocabulary.
import type { Vocabulary } from '@tuneboard/filter';
import { useMemo, useState } from 'react';
import type { MarkedFilterError } from '@/lib/filter-check';
import { ErrorNotice } from '../../status-views';
import { findingDraftIssues, isDraftValid, type FindingDraft } from './finding-form-state';
import { ExpressionError } from '@/lib/expression-error';

export function FindingForm({
  initial,
  citableRuns,
  submitLabel,
  submitting,
  error,
  onSubmit,
  onCancel,
  vocabulary,
}: {
  initial: FindingDraft;
  /** Runs that can be cited (the compared ones, or those cited already). */
  citableRuns: readonly { id: string; name: string }[];
  submitLabel: string;
  submitting: boolean;
  error?: unknown;
  onSubmit: (draft: FindingDraft) => void;
  onCancel: () => void;
  /** The project's hyperparameter paths (schemaVocabulary); syntax only when not given (the schema still loading). */
  vocabulary?: Vocabulary;
}) {
  const [draft, setDraft] = useState(initial);
  const issues = useMemo(() => findingDraftIssues(draft, vocabulary), [draft, vocabulary]);
  const valid = isDraftValid(issues);
  const set = <K extends keyof FindingDraft>(key: K, value: FindingDraft[K]) => setDraft((current) => ({ ...current, [key]: value }));
  const cited = new Set(draft.citedRunIds);

  return (
    <form
      className="finding-form"
      aria-label="Finding"
      onSubmit={(event) => {
        event.preventDefault();
        if (valid) onSubmit(draft);
      }}
    >
      <label className={`field${issues.title ? ' invalid' : ''}`}>
        <span className="field-label">Title</span>
        <input name="title" value={draft.title} placeholder="Keep batch size ≤ 32 for this model" onChange={(e) => set('title', e.target.value)} />
        {issues.title && draft.title !== '' && <span className="field-error">{issues.title}</span>}
      </label>
      <label className="field">
        <span className="field-label">Statement (markdown)</span>
        <textarea name="statement" rows={3} value={draft.statement} onChange={(e) => set('statement', e.target.value)} />
      </label>
      <ExpressionField
        label="Rule (what runs should do)"
        name="rule"
        value={draft.rule}
        errors={issues.rule}
        onChange={(v) => set('rule', v)}
        placeholder="batchSize <= 32"
      />
      <ExpressionField
        label="Scope (which runs it speaks about; empty = the whole project)"
        name="scope"
        value={draft.scope}
        errors={issues.scope}
        onChange={(v) => set('scope', v)}
        placeholder='dataset.name = "mnist" and model.kind = "cnn"'
      />
      <div className="field-grid">
        <label className={`field${issues.metricKey ? ' invalid' : ''}`}>
          <span className="field-label">Metric</span>
          <input name="metric" value={draft.metricKey} onChange={(e) => set('metricKey', e.target.value)} />
          {issues.metricKey && <span className="field-error">{issues.metricKey}</span>}
        </label>
        <label className="field">
          <span className="field-label">Aggregate</span>
          <select name="aggregate" value={draft.aggregate} onChange={(e) => set('aggregate', e.target.value as FindingDraft['aggregate'])}>
            <option value="LAST">last</option>
            <option value="MIN">min</option>
            <option value="MAX">max</option>
          </select>
        </label>
        <label className="field">
          <span className="field-label">Better is</span>
          <select name="direction" value={draft.direction} onChange={(e) => set('direction', e.target.value as FindingDraft['direction'])}>
            <option value="HIGHER">higher</option>
            <option value="LOWER">lower</option>
          </select>
        </label>
        <label className="field">
          <span className="field-label">Severity</span>
          <select name="severity" value={draft.severity} onChange={(e) => set('severity', e.target.value as FindingDraft['severity'])}>
            <option value="ADVICE">advice (warns)</option>
            <option value="POLICY">policy (needs a reason)</option>
          </select>
        </label>
      </div>
      <label className="check">
        <input type="checkbox" checked={draft.sharedWithTeam} onChange={(e) => set('sharedWithTeam', e.target.checked)} /> Share with every project of the team
      </label>
      {citableRuns.length > 0 && (
        <fieldset className="cited-runs">
          <legend>Cited runs</legend>
          {citableRuns.map((run) => (
            <label key={run.id} className="check">
              <input
                type="checkbox"
                checked={cited.has(run.id)}
                onChange={(e) => set('citedRunIds', e.target.checked ? [...draft.citedRunIds, run.id] : draft.citedRunIds.filter((id) => id !== run.id))}
              />
              {run.name}
            </label>
          ))}
        </fieldset>
      )}
      {error !== undefined && error !== null && <ErrorNotice error={error} />}
      <div className="row">
        <button type="submit" disabled={!valid || submitting}>
          {submitting ? 'Saving…' : submitLabel}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function ExpressionField({
  label,
  name,
  value,
  errors,
  placeholder,
  onChange,
}: {
  label: string;
  name: string;
  value: string;
  errors: readonly MarkedFilterError[];
  placeholder: string;
  onChange: (value: string) => void;
}) {
  return (
    <div className={`field${errors.length > 0 ? ' invalid' : ''}`}>
      <label className="field">
        <span className="field-label">{label}</span>
        <input
          name={name}
          className="expression"
          spellCheck={false}
          aria-invalid={errors.length > 0}
          value={value}
          placeholder={placeholder}
          onChange={(e) => onChange(e.target.value)}
        />
      </label>
      {errors.map((error, index) => (
        <ExpressionError key={index} error={error} data-expression-error={name} />
      ))}
    </div>
  );
}
