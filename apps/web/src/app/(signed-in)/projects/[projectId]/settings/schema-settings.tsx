'use client';
// The project's hyperparameter schema: its kind (switched after a confirmation), the declared JSON Schema edited
// with the API's own validation as you type, promotion of an inferred schema, and the declared version history.
import { useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import {
  ProjectSettingsDocument,
  PromoteInferredSchemaDocument,
  SetProjectSchemaDocument,
  type HparamSchemaKind,
  type ProjectSettingsQuery,
} from '@/graphql/generated/graphql';
import { summarizeApiError } from '@/lib/api-error';
import { ErrorNotice, Loading } from '../../../../status-views';
import { checkSchemaDraft, documentText, KIND_EXPLANATIONS, KIND_LABELS, sameDocument, switchConsequence } from './schema-draft';
import { LocalTime } from '../../../../local-time';

type Project = NonNullable<ProjectSettingsQuery['project']>;
const KINDS: readonly HparamSchemaKind[] = ['BUILTIN', 'INFERRED', 'DECLARED'];

export function SchemaSettings({ projectId }: { projectId: string }) {
  const { data, error, refetch } = useQuery(ProjectSettingsDocument, { variables: { id: projectId } });
  if (error && !data) return <ErrorNotice error={error} retry={() => void refetch()} />;
  if (!data) return <Loading what="the project's schema" />;
  if (!data.project) return <ErrorNotice error={new Error('This project does not exist, or belongs to a team you are not in.')} />;
  return <SchemaSettingsForm project={data.project} />;
}

function SchemaSettingsForm({ project }: { project: Project }) {
  const schema = project.hparamSchema;
  const [draft, setDraft] = useState(() => documentText(schema.document));
  // A new version saved (or a promotion) replaces the editor's text with the document the API stored.
  useEffect(() => setDraft(documentText(schema.document)), [schema.version, schema.document]);
  const check = useMemo(() => checkSchemaDraft(draft), [draft]);
  const [setSchema, saving] = useMutation(SetProjectSchemaDocument);
  const [promote, promoting] = useMutation(PromoteInferredSchemaDocument);
  const [saved, setSaved] = useState<string | null>(null);
  const serverError = saving.error ?? promoting.error;

  const save = (kind: HparamSchemaKind, document: unknown) => {
    setSaved(null);
    void setSchema({ variables: { projectId: project.id, kind, schema: document ?? null } })
      .then((result) => {
        const stored = result.data?.setProjectSchema.hparamSchema;
        if (stored)
          setSaved(
            stored.kind === 'DECLARED'
              ? `Saved: the schema is declared, version ${stored.version}.`
              : `Saved: the schema is ${KIND_LABELS[stored.kind].toLowerCase()}.`,
          );
      })
      .catch(() => undefined);
  };

  return (
    <>
      <KindPanel project={project} check={check} busy={saving.loading || promoting.loading} onSwitch={save} />

      {schema.kind === 'INFERRED' && (
        <section className="panel" aria-labelledby="promote-heading">
          <h2 id="promote-heading">Promote to a declared schema</h2>
          <p className="muted">
            Writes a JSON Schema from the {schema.paths.length} {schema.paths.length === 1 ? 'path' : 'paths'} the runs taught Tuneboard (types only, no
            ranges), makes it version 1 and declares the project: new runs are then validated against it, and you can tighten it below.
          </p>
          <button
            type="button"
            disabled={promoting.loading || schema.paths.length === 0}
            onClick={() => {
              setSaved(null);
              void promote({ variables: { projectId: project.id } })
                .then((result) => {
                  const version = result.data?.promoteInferredSchema.hparamSchema.version;
                  if (version) setSaved(`Promoted: the schema is declared, version ${version}.`);
                })
                .catch(() => undefined);
            }}
          >
            {promoting.loading ? 'Promoting…' : 'Promote to declared'}
          </button>
          {schema.paths.length === 0 && <p className="muted small">Log a run first: there is nothing to declare yet.</p>}
        </section>
      )}

      {saved && (
        <p className="notice success" role="status" data-testid="schema-saved">
          {saved}
        </p>
      )}
      {serverError && <ServerProblems error={serverError} />}

      <SchemaEditor
        project={project}
        draft={draft}
        onDraft={setDraft}
        check={check}
        saving={saving.loading}
        onSave={(document) => save('DECLARED', document)}
      />

      <VersionHistory project={project} onLoad={(document) => setDraft(documentText(document))} />
    </>
  );
}

function KindPanel({
  project,
  check,
  busy,
  onSwitch,
}: {
  project: Project;
  check: ReturnType<typeof checkSchemaDraft>;
  busy: boolean;
  onSwitch: (kind: HparamSchemaKind, document: unknown) => void;
}) {
  const current = project.hparamSchema.kind;
  const [chosen, setChosen] = useState<HparamSchemaKind>(current);
  const [confirming, setConfirming] = useState(false);
  useEffect(() => {
    setChosen(current);
    setConfirming(false);
  }, [current]);
  const hasVersion = project.hparamSchemaVersions.length > 0;
  // Declaring needs a document: the editor's, or the last declared version when there is one.
  const declareBlocked = chosen === 'DECLARED' && !check.ok && !hasVersion;
  const name = useId();
  // The confirmation takes the focus, so a keyboard or screen-reader user lands on the question it asks.
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  return (
    <section className="panel" aria-labelledby="kind-heading">
      <h2 id="kind-heading">Hyperparameter schema</h2>
      <p>
        This project&apos;s schema is <strong data-testid="schema-kind">{KIND_LABELS[current].toLowerCase()}</strong>
        {current === 'DECLARED' && project.hparamSchema.version ? `, version ${project.hparamSchema.version}` : ''}.
      </p>
      <fieldset className="kind-choice">
        <legend>Schema kind</legend>
        {KINDS.map((kind) => (
          <label key={kind} className="kind-option">
            <input type="radio" name={name} value={kind} checked={chosen === kind} onChange={() => setChosen(kind)} />
            <span>
              <strong>{KIND_LABELS[kind]}</strong>
              {kind === current ? ' (current)' : ''}
              <span className="muted small"> — {KIND_EXPLANATIONS[kind]}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {chosen !== current && !confirming && (
        <div className="row">
          <button type="button" disabled={busy || declareBlocked} onClick={() => setConfirming(true)}>
            Switch to {KIND_LABELS[chosen].toLowerCase()}…
          </button>
          {declareBlocked && <span className="muted small">Write a valid JSON Schema in the editor below first.</span>}
        </div>
      )}
      {chosen !== current && confirming && (
        <div className="notice warning" role="alertdialog" aria-labelledby="confirm-switch-title" aria-describedby="confirm-switch-text">
          <p id="confirm-switch-title">
            <strong>
              Switch this project from {KIND_LABELS[current].toLowerCase()} to {KIND_LABELS[chosen].toLowerCase()}?
            </strong>
          </p>
          <p id="confirm-switch-text">{switchConsequence(current, chosen, project.runCount)}</p>
          <div className="row">
            <button
              ref={confirmRef}
              type="button"
              disabled={busy}
              onClick={() => {
                setConfirming(false);
                onSwitch(chosen, chosen === 'DECLARED' && check.ok ? check.document : null);
              }}
            >
              Confirm switch
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </section>
  );
}

function SchemaEditor({
  project,
  draft,
  onDraft,
  check,
  saving,
  onSave,
}: {
  project: Project;
  draft: string;
  onDraft: (text: string) => void;
  check: ReturnType<typeof checkSchemaDraft>;
  saving: boolean;
  onSave: (document: Record<string, unknown>) => void;
}) {
  const schema = project.hparamSchema;
  const declared = schema.kind === 'DECLARED';
  const unchanged = declared && check.ok && sameDocument(check.document, schema.document);
  const problemsId = useId();
  // An empty editor on a project that declares nothing is not an error yet, only an invitation.
  const untouched = !declared && draft.trim() === '';
  return (
    <section className="panel" aria-labelledby="editor-heading">
      <h2 id="editor-heading">JSON Schema</h2>
      <p className="muted small">
        {declared
          ? 'Saving a changed document makes a new version; runs already logged keep the version they were validated against.'
          : 'Write the schema here, then switch the kind to declared above (or promote the inferred schema to start from what the runs logged).'}{' '}
        Draft 2020-12; <code>x-unit</code> and <code>x-scale</code> (<code>log</code>/<code>linear</code>) annotate a path for charts.
      </p>
      <label htmlFor="schema-document">JSON Schema document</label>
      <textarea
        id="schema-document"
        name="schemaDocument"
        rows={18}
        spellCheck={false}
        value={draft}
        aria-invalid={!check.ok}
        aria-describedby={problemsId}
        onChange={(event) => onDraft(event.target.value)}
      />
      <div id={problemsId} aria-live="polite">
        {untouched ? (
          <p className="muted small">Empty: paste or write a JSON Schema to declare one.</p>
        ) : check.ok ? (
          <p className="muted small" data-testid="schema-valid">
            Valid: {check.paths.length} {check.paths.length === 1 ? 'path' : 'paths'} ({check.paths.map((p) => `${p.path}: ${p.type}`).join(', ')})
          </p>
        ) : (
          <ul className="schema-problems" aria-label="Problems in the schema">
            {check.issues.map((issue, index) => (
              <li key={index} className="error" data-schema-problem={issue.path}>
                {issue.path && <code>{issue.path}</code>} {issue.message}
              </li>
            ))}
          </ul>
        )}
      </div>
      {declared && (
        <div className="row">
          <button type="button" disabled={!check.ok || unchanged || saving} onClick={() => check.ok && onSave(check.document)}>
            {saving ? 'Saving…' : 'Save as a new version'}
          </button>
          {unchanged && <span className="muted small">No changes from version {schema.version}.</span>}
        </div>
      )}
    </section>
  );
}

function ServerProblems({ error }: { error: unknown }) {
  const summary = summarizeApiError(error);
  return (
    <div className="notice error" role="alert" data-testid="schema-server-error">
      <p>{summary.message}</p>
      {summary.problems.length > 0 && (
        <ul>
          {summary.problems.map((problem, index) => (
            <li key={index}>
              {problem.path && <code>{problem.path}</code>} {problem.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function VersionHistory({ project, onLoad }: { project: Project; onLoad: (document: unknown) => void }) {
  const versions = project.hparamSchemaVersions;
  const [shown, setShown] = useState<number | null>(null);
  const shownVersion = versions.find((v) => v.version === shown);
  return (
    <section className="panel" aria-labelledby="history-heading">
      <h2 id="history-heading">Version history</h2>
      {versions.length === 0 ? (
        <p className="muted">No declared version yet: a version is recorded each time a JSON Schema is declared or changed.</p>
      ) : (
        <table className="plain" aria-label="Schema versions" data-testid="schema-versions">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Author</th>
              <th scope="col">Date</th>
              <th scope="col" className="numeric">
                Runs validated
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {versions.map((version) => (
              <tr key={version.version} data-schema-version={version.version}>
                <td>
                  v{version.version}
                  {version.version === project.hparamSchema.version && project.hparamSchema.kind === 'DECLARED' ? ' (current)' : ''}
                </td>
                <td>{version.createdBy?.email ?? 'unknown'}</td>
                <td>
                  <LocalTime iso={version.createdAt} />
                </td>
                <td className="numeric">{version.runs.toLocaleString('en-GB')}</td>
                <td>
                  <button
                    type="button"
                    className="link"
                    aria-expanded={shown === version.version}
                    onClick={() => setShown(shown === version.version ? null : version.version)}
                  >
                    {shown === version.version ? `Hide v${version.version}` : `View v${version.version}`}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {shownVersion && (
        <div className="version-document">
          <div className="row">
            <h3>Version {shownVersion.version}</h3>
            <button type="button" className="secondary small" onClick={() => onLoad(shownVersion.document)}>
              Copy into the editor
            </button>
          </div>
          <pre aria-label={`Version ${shownVersion.version} document`}>{documentText(shownVersion.document)}</pre>
        </div>
      )}
    </section>
  );
}
