'use client';
// The parts of a run a person edits in place: notes, tags, annotations, and cancelling it.
import { useMutation } from '@apollo/client/react';
import { useState } from 'react';
import {
  AnnotateRunDocument,
  CancelRunDocument,
  DeleteAnnotationDocument,
  RunPageDocument,
  UpdateAnnotationDocument,
  UpdateRunDocument,
  type RunDetailFragment,
} from '@/graphql/generated/graphql';
import { ErrorNotice } from '../../../status-views';
import { Markdown } from '@/lib/markdown';
import { isRunFinished } from '@/lib/run-status';
import { LocalTime } from '../../../local-time';

/** The run's name as its page's heading, renamed in place (Enter saves, Escape discards). */
export function NameEditor({ run }: { run: RunDetailFragment }) {
  const [draft, setDraft] = useState<string | null>(null);
  const [updateRun, { loading, error }] = useMutation(UpdateRunDocument);
  const save = async () => {
    if (draft === null) return;
    if (draft.trim() === run.name) return setDraft(null);
    const result = await updateRun({ variables: { input: { id: run.id, name: draft } } }).catch(() => undefined);
    if (result?.data) setDraft(null);
  };
  if (draft === null)
    return (
      <>
        <h1>{run.name}</h1>
        <button type="button" className="small secondary" onClick={() => setDraft(run.name)}>
          Rename
        </button>
      </>
    );
  return (
    <form
      className="inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      <input
        aria-label="Run name"
        value={draft}
        autoFocus
        onChange={(event) => setDraft(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Escape') setDraft(null);
        }}
      />
      <button type="submit" disabled={loading}>
        {loading ? 'Saving…' : 'Save name'}
      </button>
      <button type="button" className="secondary" onClick={() => setDraft(null)}>
        Discard
      </button>
      {error && <ErrorNotice error={error} />}
    </form>
  );
}

export function NotesEditor({ run }: { run: RunDetailFragment }) {
  const [draft, setDraft] = useState<string | null>(null);
  const [updateRun, { loading, error }] = useMutation(UpdateRunDocument);
  const save = async () => {
    if (draft === null) return;
    const result = await updateRun({ variables: { input: { id: run.id, notes: draft } } }).catch(() => undefined);
    if (result?.data) setDraft(null);
  };
  return (
    <section className="panel" aria-label="Notes">
      <div className="row">
        <h2>Notes</h2>
        {draft === null && (
          <button type="button" className="small secondary" onClick={() => setDraft(run.notes)}>
            Edit notes
          </button>
        )}
      </div>
      {draft === null ? (
        run.notes ? (
          <div data-testid="notes">
            <Markdown text={run.notes} />
          </div>
        ) : (
          <p className="muted">No notes yet. Markdown works: **bold**, `code`, lists, links.</p>
        )
      ) : (
        <div className="stack">
          <textarea aria-label="Notes (markdown)" rows={6} value={draft} onChange={(e) => setDraft(e.target.value)} />
          <div className="row">
            <button type="button" onClick={() => void save()} disabled={loading}>
              {loading ? 'Saving…' : 'Save notes'}
            </button>
            <button type="button" className="secondary" onClick={() => setDraft(null)}>
              Discard
            </button>
          </div>
          {error && <ErrorNotice error={error} />}
        </div>
      )}
    </section>
  );
}

export function TagsEditor({ run }: { run: RunDetailFragment }) {
  const [newTag, setNewTag] = useState('');
  const [updateRun, { loading, error }] = useMutation(UpdateRunDocument);
  const saveTags = (tags: string[]) => void updateRun({ variables: { input: { id: run.id, tags } } }).catch(() => undefined);
  return (
    <div className="tags-editor" aria-label="Tags">
      {run.tags.map((tag) => (
        <span key={tag} className="tag">
          {tag}
          <button
            type="button"
            className="link"
            aria-label={`Remove tag ${tag}`}
            disabled={loading}
            onClick={() => saveTags(run.tags.filter((t) => t !== tag))}
          >
            ×
          </button>
        </span>
      ))}
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          const tag = newTag.trim();
          if (tag && !run.tags.includes(tag)) saveTags([...run.tags, tag]);
          setNewTag('');
        }}
      >
        <input aria-label="New tag" placeholder="add tag" value={newTag} onChange={(e) => setNewTag(e.target.value)} size={10} />
      </form>
      {error && <ErrorNotice error={error} />}
    </div>
  );
}

export function Annotations({ run }: { run: RunDetailFragment }) {
  const [body, setBody] = useState('');
  const [step, setStep] = useState('');
  const [annotateRun, { loading, error }] = useMutation(AnnotateRunDocument, {
    refetchQueries: [RunPageDocument],
  });
  const add = async () => {
    const stepNumber = step.trim() === '' ? null : Number(step);
    const result = await annotateRun({
      variables: { runId: run.id, body: body.trim(), step: Number.isInteger(stepNumber) ? stepNumber : null },
    }).catch(() => undefined);
    if (result?.data) {
      setBody('');
      setStep('');
    }
  };
  return (
    <section className="panel" aria-label="Annotations">
      <h2>Annotations</h2>
      {run.annotations.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <ul className="annotations">
          {run.annotations.map((annotation) => (
            <AnnotationItem key={annotation.id} annotation={annotation} />
          ))}
        </ul>
      )}
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (body.trim()) void add();
        }}
      >
        <input aria-label="Annotation" placeholder="What happened here?" value={body} onChange={(e) => setBody(e.target.value)} />
        <input aria-label="At step" placeholder="step" inputMode="numeric" size={6} value={step} onChange={(e) => setStep(e.target.value)} />
        <button type="submit" disabled={loading || !body.trim()}>
          Annotate
        </button>
      </form>
      {error && <ErrorNotice error={error} />}
    </section>
  );
}

type Annotation = RunDetailFragment['annotations'][number];

/** One annotation; its author (or a team owner) edits it in place or deletes it after a confirmation. */
function AnnotationItem({ annotation }: { annotation: Annotation }) {
  const [draft, setDraft] = useState<{ body: string; step: string } | null>(null);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const [updateAnnotation, update] = useMutation(UpdateAnnotationDocument);
  const [deleteAnnotation, removal] = useMutation(DeleteAnnotationDocument, { refetchQueries: [RunPageDocument] });
  const save = async () => {
    if (!draft) return;
    const step = draft.step.trim() === '' ? null : Number(draft.step);
    const result = await updateAnnotation({
      variables: { id: annotation.id, body: draft.body.trim(), step: Number.isInteger(step) ? step : null },
    }).catch(() => undefined);
    if (result?.data) setDraft(null);
  };
  if (draft)
    return (
      <li>
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            if (draft.body.trim()) void save();
          }}
        >
          <input aria-label="Edit annotation" value={draft.body} onChange={(e) => setDraft({ ...draft, body: e.target.value })} autoFocus />
          <input aria-label="Edit step" inputMode="numeric" size={6} value={draft.step} onChange={(e) => setDraft({ ...draft, step: e.target.value })} />
          <button type="submit" className="small" disabled={update.loading || !draft.body.trim()}>
            Save
          </button>
          <button type="button" className="small secondary" onClick={() => setDraft(null)}>
            Discard
          </button>
        </form>
        {update.error && <ErrorNotice error={update.error} />}
      </li>
    );
  return (
    <li>
      {annotation.step !== null && <span className="badge">step {annotation.step}</span>} {annotation.body}{' '}
      <span className="muted small">
        {annotation.author?.email ?? 'someone'}, <LocalTime iso={annotation.createdAt} />
      </span>
      {annotation.canEdit &&
        (confirmingDelete ? (
          <span className="row small" role="group" aria-label="Delete this annotation?">
            <button
              type="button"
              className="danger small"
              disabled={removal.loading}
              onClick={() => void deleteAnnotation({ variables: { id: annotation.id } }).catch(() => undefined)}
            >
              Yes, delete
            </button>
            <button type="button" className="secondary small" onClick={() => setConfirmingDelete(false)}>
              Keep
            </button>
          </span>
        ) : (
          <>
            {' '}
            <button
              type="button"
              className="link small"
              onClick={() => setDraft({ body: annotation.body, step: annotation.step === null ? '' : String(annotation.step) })}
            >
              Edit
            </button>{' '}
            <button type="button" className="link small" onClick={() => setConfirmingDelete(true)}>
              Delete
            </button>
          </>
        ))}
      {removal.error && <ErrorNotice error={removal.error} />}
    </li>
  );
}

export function CancelRunButton({ run }: { run: RunDetailFragment }) {
  const [confirming, setConfirming] = useState(false);
  const [cancelRun, { loading, error }] = useMutation(CancelRunDocument);
  if (isRunFinished(run.status)) return null;
  return (
    <span className="row">
      {confirming ? (
        <>
          <button type="button" className="danger" disabled={loading} onClick={() => void cancelRun({ variables: { runId: run.id } }).catch(() => undefined)}>
            {loading ? 'Cancelling…' : 'Yes, cancel it'}
          </button>
          <button type="button" className="secondary" onClick={() => setConfirming(false)}>
            Keep running
          </button>
        </>
      ) : (
        <button type="button" className="danger secondary" onClick={() => setConfirming(true)}>
          Cancel run
        </button>
      )}
      {error && <ErrorNotice error={error} />}
    </span>
  );
}
