'use client';
// What the form turns into once the API accepted the run: its status, the API's warnings and where to go next.
import Link from 'next/link';
import type { SubmitRunMutation } from '@/graphql/generated/graphql';
import { runStatusLabel } from '@/lib/run-status';
import { WarningItem } from './run-check-notice';

export function SubmitResult({ projectId, result }: { projectId: string; result: SubmitRunMutation['submitRun'] }) {
  return (
    <section className="submit-result" aria-label="Submitted run">
      <h2>
        Run <Link href={`/runs/${result.run.id}`}>{result.run.name}</Link> is {runStatusLabel(result.run.status)}
      </h2>
      {result.warnings.length > 0 ? (
        <div className="notice warning" data-testid="submit-warnings">
          <p>Think twice: the API has {result.warnings.length === 1 ? 'a warning' : `${result.warnings.length} warnings`} about this run.</p>
          <ul>
            {result.warnings.map((warning) => (
              <WarningItem key={warning.code + warning.message} warning={warning} />
            ))}
          </ul>
        </div>
      ) : (
        <p className="muted" data-testid="submit-warnings">
          No warnings: nothing known contradicts this run.
        </p>
      )}
      <div className="row">
        <Link className="button" href={`/runs/${result.run.id}`}>
          Watch it train
        </Link>
        <Link href={`/projects/${projectId}/submit?from=${result.run.id}`}>Submit a variation</Link>
        <Link href={`/projects/${projectId}`}>Back to the runs</Link>
      </div>
    </section>
  );
}
