'use client';
// The submit page: loads the run to duplicate, holds the form's state (configuration, name, tags, notes, the
// override reason) and submits. The fieldsets, the side panel, the findings check and the result live beside it.
import { useMutation, useQuery } from '@apollo/client/react';
import { validateRunConfig, type RunConfig } from '@tuneboard/hparams';
import Link from 'next/link';
import { useMemo, useState } from 'react';
import { RunToDuplicateDocument, SubmitRunDocument, type SubmitRunMutation } from '@/graphql/generated/graphql';
import { summarizeApiError } from '@/lib/api-error';
import { ErrorNotice, Loading } from '../../../../status-views';
import { ConfigFormProvider } from './config-fields';
import { DatasetSection, ModelSection, OptimizerSection, ScheduleSection, TrainingSection } from './config-sections';
import { DerivedPanel } from './derived-panel';
import { canSubmitRun, needsOverrideReason, runCheckView } from './run-check-state';
import { INITIAL_CONFIG, issuesByPath, issuesFromApiProblems, parseTags, setAt, type ConfigDraft } from './run-form-state';
import { OverrideReasonField, SubmitFeedback } from './submit-feedback';
import { SubmitResult } from './submit-result';
import { useRunCheck } from './use-run-check';

interface RunFormInitial {
  config: ConfigDraft;
  name: string;
  tags: string;
  duplicateOf?: { id: string; name: string; latest: boolean };
}

/**
 * The form starts from a run's stored configuration: the one being duplicated (?from=<run id>), or by default the
 * project's latest run (`latest`); a project without runs starts from the defaults.
 */
export function RunFormPage({ projectId, startFrom, latest = false }: { projectId: string; startFrom?: string; latest?: boolean }) {
  const source = useQuery(RunToDuplicateDocument, { variables: { id: startFrom ?? '' }, skip: !startFrom });
  if (!startFrom) return <RunForm projectId={projectId} initial={{ config: INITIAL_CONFIG, name: '', tags: '' }} />;
  if (source.error) return <ErrorNotice error={source.error} retry={() => void source.refetch()} />;
  if (!source.data) return <Loading what="the run to duplicate" />;
  const run = source.data.run;
  if (!run) return <ErrorNotice error={new Error('The run to duplicate does not exist.')} />;
  return (
    <RunForm
      projectId={projectId}
      initial={{
        config: (run.hparams ?? INITIAL_CONFIG) as ConfigDraft,
        name: '',
        // A duplicate keeps its source's tags; the latest run's ("baseline", say) rarely describe the next one.
        tags: latest ? '' : run.tags.join(', '),
        duplicateOf: { id: run.id, name: run.name, latest },
      }}
    />
  );
}

function RunForm({ projectId, initial }: { projectId: string; initial: RunFormInitial }) {
  const [config, setConfig] = useState<ConfigDraft>(initial.config);
  const [name, setName] = useState(initial.name);
  const [tags, setTags] = useState(initial.tags);
  const [notes, setNotes] = useState('');
  const [submitRun, submission] = useMutation(SubmitRunDocument);
  const [submitted, setSubmitted] = useState<SubmitRunMutation['submitRun'] | null>(null);
  const [overrideReason, setOverrideReason] = useState('');

  const validation = useMemo(() => validateRunConfig(config), [config]);
  const apiError = submission.error ? summarizeApiError(submission.error) : undefined;
  const refusedByPolicy = (apiError?.policyFindings.length ?? 0) > 0;

  // The API's dry run of exactly what would be submitted, so finding warnings show before anything is queued.
  const checkInput = useMemo(
    () => (validation.ok ? { projectId, hparams: config, name: name.trim() || null, tags: parseTags(tags) } : null),
    [validation.ok, projectId, config, name, tags],
  );
  const check = useRunCheck(checkInput);
  const checkView = runCheckView({
    configValid: validation.ok,
    currentKey: check.currentKey,
    answered: check.answered,
    failure: check.failure,
    refusedByPolicy,
  });
  const overrideRequired = needsOverrideReason(checkView, refusedByPolicy);
  const checkProblems = check.answered?.key === check.currentKey ? check.answered.result.problems : [];

  // Client validation runs the same code as the API; the API's problems are shown too in case they ever differ.
  const issues = validation.ok ? issuesFromApiProblems([...(apiError?.problems ?? []), ...checkProblems]) : validation.issues;
  const issueMap = useMemo(() => issuesByPath(issues), [issues]);
  const [lastValid, setLastValid] = useState<RunConfig | undefined>(validation.ok ? validation.config : undefined);
  if (validation.ok && validation.config !== lastValid) setLastValid(validation.config);

  const setField = (path: string, value: unknown) => {
    submission.reset();
    setConfig((current) => setAt(current, path, value));
  };
  const replace = (next: ConfigDraft) => {
    submission.reset();
    setConfig(next);
  };

  if (submitted) return <SubmitResult projectId={projectId} result={submitted} />;

  const submit = async () => {
    if (!validation.ok) return;
    const result = await submitRun({
      variables: {
        input: {
          projectId,
          hparams: config,
          name: name.trim() || null,
          tags: parseTags(tags),
          notes: notes || null,
          overrideReason: overrideRequired ? overrideReason.trim() : null,
        },
      },
    }).catch(() => undefined);
    if (result?.data) setSubmitted(result.data.submitRun);
  };

  return (
    <ConfigFormProvider value={{ config, normalized: lastValid, issues: issueMap, setField }}>
      <div className="submit-layout">
        <form
          className="run-form"
          aria-label="Run configuration"
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
        >
          {initial.duplicateOf && (
            <p className="notice">
              {initial.duplicateOf.latest ? 'Starts from the latest run, ' : 'Duplicating '}
              <Link href={`/runs/${initial.duplicateOf.id}`}>{initial.duplicateOf.name}</Link>: change what you want to try.
              {initial.duplicateOf.latest && (
                <>
                  {' '}
                  <a href={`/projects/${projectId}/submit?from=defaults`}>Start from the defaults</a>
                </>
              )}
            </p>
          )}
          <fieldset>
            <legend>Run</legend>
            <div className="field-grid">
              <label className="field">
                <span className="field-label">name</span>
                <input name="name" value={name} placeholder="built from the configuration" onChange={(e) => setName(e.target.value)} />
              </label>
              <label className="field">
                <span className="field-label">tags</span>
                <input name="tags" value={tags} placeholder="baseline, sweep-1" onChange={(e) => setTags(e.target.value)} />
              </label>
            </div>
            <label className="field">
              <span className="field-label">notes (markdown)</span>
              <textarea name="notes" rows={2} value={notes} onChange={(e) => setNotes(e.target.value)} />
            </label>
          </fieldset>

          <DatasetSection />
          <ModelSection replace={replace} />
          <OptimizerSection replace={replace} />
          <ScheduleSection replace={replace} />
          <TrainingSection />

          <SubmitFeedback issues={issues} apiError={apiError} submissionError={submission.error} refusedByPolicy={refusedByPolicy} checkView={checkView} />
          {overrideRequired && <OverrideReasonField value={overrideReason} onChange={setOverrideReason} />}
          <div className="row">
            <button type="submit" disabled={!canSubmitRun({ configValid: validation.ok, submitting: submission.loading, overrideRequired, overrideReason })}>
              {submission.loading ? 'Submitting…' : 'Submit run'}
            </button>
            <Link href={`/projects/${projectId}`}>Cancel</Link>
          </div>
        </form>
        <DerivedPanel config={validation.ok ? validation.config : undefined} />
      </div>
    </ConfigFormProvider>
  );
}
