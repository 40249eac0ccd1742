// What the team has learned lately: new and changed findings across its projects, newest first.
import Link from 'next/link';
import { FindingFeedDocument, type FindingFeedQuery } from '@/graphql/generated/graphql';
import { serverQuery } from '../../apollo-server';
import { ErrorNotice } from '../../status-views';
import { FindingStatusBadge } from '../findings/finding-badges';
import { actorName, describeFindingEvent } from '../findings/finding-events';
import { LocalTime } from '../../local-time';

const FEED_LENGTH = 15;

export async function TeamFeed({ teamId, teamName }: { teamId: string; teamName: string }) {
  let events: FindingFeedQuery['findingFeed'] | undefined;
  let failure: unknown;
  try {
    events = (await serverQuery({ query: FindingFeedDocument, variables: { teamId, first: FEED_LENGTH } })).data?.findingFeed;
  } catch (error) {
    failure = error;
  }
  return (
    <section className="feed" aria-label={`Findings feed of ${teamName}`}>
      <h3>Findings feed</h3>
      {!events ? (
        <ErrorNotice error={failure ?? new Error('The API returned no feed.')} />
      ) : events.length === 0 ? (
        <p className="muted small">No findings yet. Compare runs and record what you learn: it shows up here for the whole team.</p>
      ) : (
        <ol className="history" data-testid="finding-feed">
          {events.map((event) => (
            <li key={event.id}>
              <span className="muted small">
                <LocalTime iso={event.createdAt} />
              </span>{' '}
              <strong>{actorName(event)}</strong> {describeFindingEvent(event)} — <Link href={`/findings/${event.finding.id}`}>{event.finding.title}</Link>{' '}
              <FindingStatusBadge status={event.finding.status} /> <span className="muted small">in {event.finding.project.name}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
