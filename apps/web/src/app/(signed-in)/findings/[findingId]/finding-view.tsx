'use client';
import { useMutation, useQuery, useSubscription } from '@apollo/client/react';
import Link from 'next/link';
import { useMemo, useState } from 'react';
import {
  CommentOnFindingDocument,
  FindingEventsDocument,
  FindingPageDocument,
  ProjectSchemaDocument,
  RetireFindingDocument,
  UpdateFindingDocument,
  type FindingPageQuery,
} from '@/graphql/generated/graphql';
import { Markdown } from '@/lib/markdown';
import { schemaVocabulary } from '@/lib/project-schema';
import { ErrorNotice, Loading } from '../../../status-views';
import { FindingStatusBadge, SeverityBadge } from '../finding-badges';
import { actorName, describeFindingEvent } from '../finding-events';
import { FindingForm } from '../finding-form';
import { findingUpdateFields, type FindingDraft } from '../finding-form-state';
import { EvidencePanel } from './evidence-panel';
import { LocalTime } from '../../../local-time';

type Finding = NonNullable<FindingPageQuery['finding']>;

export function FindingView({ findingId }: { findingId: string }) {
  const { data, error, refetch } = useQuery(FindingPageDocument, { variables: { id: findingId } });
  const finding = data?.finding;
  // Live: a re-check (runs finishing), an edit or a comment by someone else reloads the page's data.
  const subscription = useSubscription(FindingEventsDocument, {
    variables: { projectId: finding?.project.id ?? '' },
    skip: !finding,
    onData: ({ data: event }) => {
      if (event.data?.findingEvents.finding.id === findingId) void refetch();
    },
  });
  const [editing, setEditing] = useState(false);

  if (error && !data) return <ErrorNotice error={error} retry={() => void refetch()} />;
  if (!data) return <Loading what="the finding" />;
  if (!finding) return <ErrorNotice error={new Error('This finding does not exist, or belongs to a team you are not in.')} />;

  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link href="/projects">Projects</Link> / <Link href={`/projects/${finding.project.id}`}>{finding.project.name}</Link> /{' '}
        <Link href={`/projects/${finding.project.id}/findings`}>Findings</Link>
      </nav>
      <div className="finding-title">
        <h1>{finding.title}</h1>
        <FindingStatusBadge status={finding.status} />
        <SeverityBadge severity={finding.severity} />
        {finding.sharedWithTeam && <span className="badge">shared with the team</span>}
        {!subscription.error && <span className="live">● live</span>}
      </div>
      <p className="muted small">
        by {finding.author?.email ?? 'someone removed'} · <LocalTime iso={finding.createdAt} />
        {finding.updatedAt !== finding.createdAt && (
          <>
            {' · changed '}
            <LocalTime iso={finding.updatedAt} />
          </>
        )}
      </p>

      {editing ? <EditFinding finding={finding} onDone={() => setEditing(false)} /> : <FindingDefinition finding={finding} onEdit={() => setEditing(true)} />}
      <EvidencePanel finding={finding} />
      <div className="two-columns">
        <Comments finding={finding} />
        <History finding={finding} />
      </div>
    </>
  );
}

function FindingDefinition({ finding, onEdit }: { finding: Finding; onEdit: () => void }) {
  const retired = finding.status === 'RETIRED';
  return (
    <section className="panel" aria-label="Definition">
      {finding.statement.trim() ? <Markdown text={finding.statement} /> : <p className="muted">No statement.</p>}
      <dl className="facts">
        <dt>Rule</dt>
        <dd>
          <code data-testid="finding-rule">{finding.rule}</code>
        </dd>
        <dt>Scope</dt>
        <dd>
          {finding.scope ? (
            <code>{finding.scope}</code>
          ) : (
            <span className="muted">every run of the project{finding.sharedWithTeam ? ' and of the team' : ''}</span>
          )}
        </dd>
        <dt>Metric</dt>
        <dd>
          <code>
            {finding.metric.aggregate.toLowerCase()}({finding.metric.key})
          </code>
          , {finding.metric.direction.toLowerCase()} is better
        </dd>
        <dt>Cited runs</dt>
        <dd>
          {finding.citedRuns.length === 0
            ? 'none'
            : finding.citedRuns.map((run, i) => (
                <span key={run.id}>
                  {i > 0 && ', '}
                  <Link href={`/runs/${run.id}`}>{run.name}</Link>
                </span>
              ))}
        </dd>
      </dl>
      <div className="row">
        <button type="button" className="secondary" onClick={onEdit}>
          Edit
        </button>
        {!retired && <RetireFinding findingId={finding.id} />}
      </div>
    </section>
  );
}

function EditFinding({ finding, onDone }: { finding: Finding; onDone: () => void }) {
  const [updateFinding, update] = useMutation(UpdateFindingDocument, { refetchQueries: [FindingPageDocument] });
  // The rule and scope name the project's own hyperparameters when its schema is declared or inferred.
  const schemaQuery = useQuery(ProjectSchemaDocument, { variables: { id: finding.project.id } });
  const vocabulary = useMemo(() => schemaVocabulary(schemaQuery.data?.project?.hparamSchema), [schemaQuery.data]);
  const initial: FindingDraft = {
    title: finding.title,
    statement: finding.statement,
    rule: finding.rule,
    scope: finding.scope,
    metricKey: finding.metric.key,
    aggregate: finding.metric.aggregate,
    direction: finding.metric.direction,
    severity: finding.severity,
    sharedWithTeam: finding.sharedWithTeam,
    citedRunIds: finding.citedRuns.map((run) => run.id),
  };
  return (
    <section className="panel" aria-label="Edit the finding">
      <FindingForm
        initial={initial}
        citableRuns={finding.citedRuns}
        submitLabel="Save changes"
        submitting={update.loading}
        error={update.error}
        onCancel={onDone}
        vocabulary={vocabulary}
        onSubmit={(draft) => {
          void updateFinding({ variables: { input: { id: finding.id, ...findingUpdateFields(initial, draft) } } })
            .then(onDone)
            .catch(() => undefined);
        }}
      />
    </section>
  );
}

function RetireFinding({ findingId }: { findingId: string }) {
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const [retireFinding, retirement] = useMutation(RetireFindingDocument, { refetchQueries: [FindingPageDocument] });
  if (!asking) {
    return (
      <button type="button" className="danger secondary" onClick={() => setAsking(true)}>
        Retire
      </button>
    );
  }
  return (
    <form
      className="inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        void retireFinding({ variables: { id: findingId, reason: reason.trim() || null } }).catch(() => undefined);
      }}
    >
      <input
        aria-label="Reason to retire"
        placeholder="why it no longer holds (optional)"
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        size={40}
      />
      <button type="submit" className="danger" disabled={retirement.loading}>
        Retire the finding
      </button>
      <button type="button" className="link" onClick={() => setAsking(false)}>
        Keep it
      </button>
      {retirement.error && <ErrorNotice error={retirement.error} />}
    </form>
  );
}

function Comments({ finding }: { finding: Finding }) {
  const [body, setBody] = useState('');
  const [comment, commenting] = useMutation(CommentOnFindingDocument, { refetchQueries: [FindingPageDocument] });
  return (
    <section className="panel" aria-label="Comments">
      <h2>Comments</h2>
      {finding.comments.length === 0 && <p className="muted">No comments yet.</p>}
      <ul className="comments">
        {finding.comments.map((c) => (
          <li key={c.id}>
            <p className="muted small">
              {c.author?.email ?? 'someone removed'} · <LocalTime iso={c.createdAt} />
            </p>
            <Markdown text={c.body} />
          </li>
        ))}
      </ul>
      <form
        className="stack"
        onSubmit={(event) => {
          event.preventDefault();
          if (body.trim() === '') return;
          void comment({ variables: { findingId: finding.id, body } })
            .then(() => setBody(''))
            .catch(() => undefined);
        }}
      >
        <textarea
          aria-label="Comment (markdown)"
          rows={3}
          value={body}
          onChange={(e) => setBody(e.target.value)}
          placeholder="What you saw, a run to look at, a doubt…"
        />
        <div className="row">
          <button type="submit" disabled={body.trim() === '' || commenting.loading}>
            Add comment
          </button>
        </div>
        {commenting.error && <ErrorNotice error={commenting.error} />}
      </form>
    </section>
  );
}

function History({ finding }: { finding: Finding }) {
  return (
    <section className="panel" aria-label="History">
      <h2>History</h2>
      <ol className="history" data-testid="finding-history">
        {[...finding.history].reverse().map((event) => (
          <li key={event.id}>
            <span className="muted small">
              <LocalTime iso={event.createdAt} />
            </span>{' '}
            <strong>{actorName(event)}</strong> {describeFindingEvent(event)}
          </li>
        ))}
      </ol>
    </section>
  );
}
