'use client';
import { useQuery, useSubscription } from '@apollo/client/react';
import Link from 'next/link';
import { FindingEventsDocument, ProjectFindingsDocument } from '@/graphql/generated/graphql';
import { Empty, ErrorNotice, Loading } from '../../../../status-views';
import { FindingStatusBadge, SeverityBadge } from '../../../findings/finding-badges';
import { LocalTime } from '../../../../local-time';

export function FindingsList({ projectId }: { projectId: string }) {
  const { data, error, refetch } = useQuery(ProjectFindingsDocument, { variables: { projectId } });
  // Status changes arrive with the finding (the cache updates the row); a new finding needs the list again.
  const subscription = useSubscription(FindingEventsDocument, {
    variables: { projectId },
    onData: ({ data: event }) => {
      if (event.data?.findingEvents.kind === 'created') void refetch();
    },
  });

  if (error && !data) return <ErrorNotice error={error} retry={() => void refetch()} />;
  if (!data) return <Loading what="findings" />;
  const findings = data.findings;
  if (findings.length === 0) {
    return (
      <Empty action={{ href: `/projects/${projectId}`, label: 'Compare runs, then “Record a finding”' }}>
        No findings yet. A finding is a rule over hyperparameters (“keep batchSize ≤ 32”) that Tuneboard checks against every run.
      </Empty>
    );
  }
  return (
    <>
      <p className="muted">
        {findings.length} {findings.length === 1 ? 'finding' : 'findings'}, the project&apos;s and those shared with the team
        {!subscription.error && <span className="live"> · ● live</span>}
      </p>
      <table className="plain findings-table" aria-label="Findings">
        <thead>
          <tr>
            <th>Status</th>
            <th>Finding</th>
            <th>Rule</th>
            <th>Scope</th>
            <th>Metric</th>
            <th>Severity</th>
            <th>Author</th>
            <th>Changed</th>
          </tr>
        </thead>
        <tbody>
          {findings.map((finding) => (
            <tr key={finding.id} data-finding-id={finding.id}>
              <td>
                <FindingStatusBadge status={finding.status} />
              </td>
              <td>
                <Link href={`/findings/${finding.id}`}>{finding.title}</Link>
                {finding.project.id !== projectId && <span className="muted small"> (from {finding.project.name})</span>}
              </td>
              <td>
                <code>{finding.rule}</code>
              </td>
              <td>{finding.scope ? <code>{finding.scope}</code> : <span className="muted">all runs</span>}</td>
              <td>
                <code>
                  {finding.metric.aggregate.toLowerCase()}({finding.metric.key})
                </code>{' '}
                {finding.metric.direction === 'HIGHER' ? '↑' : '↓'}
              </td>
              <td>
                <SeverityBadge severity={finding.severity} />
              </td>
              <td>{finding.author?.email ?? ''}</td>
              <td>
                <LocalTime iso={finding.updatedAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
