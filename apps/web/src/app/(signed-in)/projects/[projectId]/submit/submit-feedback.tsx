'use client';
// Under the form: what stops or questions the submission (problems with the configuration, a refusal by a
// policy finding, the findings check of checkRun) and the override reason a policy asks for.
import type { ValidationIssue } from '@tuneboard/hparams';
import type { ApiErrorSummary } from '@/lib/api-error';
import { ErrorNotice } from '../../../../status-views';
import { PolicyRefusal, RunCheckNotice } from './run-check-notice';
import type { RunCheckView } from './run-check-state';

export function SubmitFeedback({
  issues,
  apiError,
  submissionError,
  refusedByPolicy,
  checkView,
}: {
  issues: readonly ValidationIssue[];
  apiError: ApiErrorSummary | undefined;
  submissionError: unknown;
  refusedByPolicy: boolean;
  checkView: RunCheckView;
}) {
  return (
    <>
      {issues.length > 0 && (
        <div className="notice error" data-testid="form-problems">
          <p>
            {issues.length} {issues.length === 1 ? 'problem' : 'problems'} to fix before submitting:
          </p>
          <ul>
            {issues.map((issue) => (
              <li key={`${issue.path}:${issue.message}`}>{issue.message}</li>
            ))}
          </ul>
        </div>
      )}
      {apiError && refusedByPolicy && <PolicyRefusal findings={apiError.policyFindings} message={apiError.message} />}
      {apiError && apiError.problems.length === 0 && !refusedByPolicy && <ErrorNotice error={submissionError} />}
      <RunCheckNotice view={checkView} />
    </>
  );
}

export function OverrideReasonField({ value, onChange }: { value: string; onChange(value: string): void }) {
  return (
    <label className="field override-reason">
      <span className="field-label">Override reason (required; recorded on the run)</span>
      <textarea
        name="overrideReason"
        rows={2}
        required
        value={value}
        placeholder="Why this run should go ahead despite the policy, e.g. re-testing it on the new dataset"
        onChange={(e) => onChange(e.target.value)}
      />
    </label>
  );
}
