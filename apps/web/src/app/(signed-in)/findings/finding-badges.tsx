// Status and severity badges, coloured the same everywhere a finding appears.
import Link from 'next/link';
import type { FindingSeverity, FindingStatus } from '@/graphql/generated/graphql';

export function FindingStatusBadge({ status }: { status: FindingStatus }) {
  return (
    <span className={`finding-status finding-status-${status.toLowerCase()}`} data-finding-status={status}>
      {status.toLowerCase()}
    </span>
  );
}

export function SeverityBadge({ severity }: { severity: FindingSeverity }) {
  return <span className={`severity severity-${severity.toLowerCase()}`}>{severity.toLowerCase()}</span>;
}

/** ✓ / ✗ per finding whose scope covers a run: whether the run follows it. */
export function FindingCheckBadges({ checks }: { checks: readonly { finding: { id: string; title: string; severity: FindingSeverity }; follows: boolean }[] }) {
  return (
    <span className="finding-checks">
      {checks.map(({ finding, follows }) => (
        <Link
          key={finding.id}
          href={`/findings/${finding.id}`}
          className={`finding-check ${follows ? 'follows' : `breaks breaks-${finding.severity.toLowerCase()}`}`}
          title={`${follows ? 'Follows' : 'Breaks'} “${finding.title}” (${finding.severity.toLowerCase()})`}
          data-finding-check={follows ? 'follows' : 'breaks'}
        >
          {follows ? '✓' : '✗'} {finding.title}
        </Link>
      ))}
    </span>
  );
}
