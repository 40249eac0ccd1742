// The API's verdict on the run being edited, shown beside the submit button before anything is queued.
import Link from 'next/link';
import type { PolicyFinding } from '@/lib/api-error';
import { checkWarningMessage, warningHeadline, type RunCheckView, type RunCheckWarning } from './run-check-state';

export function RunCheckNotice({ view }: { view: RunCheckView }) {
  if (view.kind === 'idle') return null;
  if (view.kind === 'failed') {
    return (
      <p className="muted small" data-testid="run-check">
        Could not check this run against the team&apos;s findings: {view.message}
      </p>
    );
  }
  if (view.kind === 'checking' && view.warnings.length === 0) {
    return (
      <p className="muted small" data-testid="run-check" aria-live="polite">
        Checking against the team&apos;s findings…
      </p>
    );
  }
  if (view.kind === 'checked' && view.warnings.length === 0) {
    return (
      <p className="muted small" data-testid="run-check" aria-live="polite">
        ✓ No finding of the team contradicts this run.
      </p>
    );
  }
  const needsOverride = view.kind === 'checked' && view.needsOverride;
  return (
    <div
      className={`notice ${needsOverride ? 'error' : 'warning'}${view.kind === 'checking' ? ' stale' : ''}`}
      data-testid="run-check-warnings"
      aria-live="polite"
    >
      <p>
        <strong>{warningHeadline(view.warnings, needsOverride)}</strong>
        {view.kind === 'checking' && <span className="muted"> (re-checking…)</span>}
      </p>
      <ul>
        {view.warnings.map((warning) => (
          <WarningItem key={warning.code + warning.message} warning={{ ...warning, message: checkWarningMessage(warning) }} />
        ))}
      </ul>
    </div>
  );
}

export function WarningItem({ warning }: { warning: RunCheckWarning }) {
  return (
    <li>
      {warning.finding ? (
        <>
          <span className={`severity severity-${warning.finding.severity.toLowerCase()}`}>{warning.finding.severity.toLowerCase()}</span>{' '}
          <Link href={`/findings/${warning.finding.id}`}>{warning.finding.title}</Link>:{' '}
        </>
      ) : (
        <>
          <code>{warning.code}</code>{' '}
        </>
      )}
      {warning.message}
    </li>
  );
}

/** A submission refused by a policy (it can be newer than the last check): which policies, and what to do. */
export function PolicyRefusal({ findings, message }: { findings: readonly PolicyFinding[]; message: string }) {
  return (
    <div className="notice error" role="alert" data-testid="policy-violation">
      <p>
        <strong>Refused: this run breaks a policy of the team.</strong> Give an override reason below to run it anyway; it is recorded on the run.
      </p>
      <ul>
        {findings.map((finding) => (
          <li key={finding.id}>
            <Link href={`/findings/${finding.id}`}>{finding.title}</Link> <code>{finding.rule}</code>
          </li>
        ))}
      </ul>
      {findings.length === 0 && <p>{message}</p>}
    </div>
  );
}
