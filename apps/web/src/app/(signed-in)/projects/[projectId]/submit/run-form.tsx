'use client';
import { useApolloClient, useMutation, useQuery } from '@apollo/client/react';
import { DATASET_NAMES, deriveFacts, learningRateCurve, totalSteps, validateRunConfig, type RunConfig } from '@tuneboard/hparams';
import Link from 'next/link';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Chart } from '@/charts/chart';
import { buildLineChartOption } from '@/charts/chart-options';
import { CheckRunDocument, RunToDuplicateDocument, SubmitRunDocument, type SubmitRunMutation } from '@/graphql/generated/graphql';
import { summarizeApiError } from '@/lib/api-error';
import { formatMetric } from '@/lib/metric-value';
import { runStatusLabel } from '@/lib/run-status';
import { ErrorNotice, Loading } from '../../../../status-views';
import { PolicyRefusal, RunCheckNotice, WarningItem } from './run-check-notice';
import { canSubmitRun, needsOverrideReason, runCheckView, type RunCheckResult } from './run-check-state';
import { ChoiceField, ConfigFormProvider, ConvLayersEditor, NumberField, SchemaField, UnitsListEditor } from './config-fields';
import {
  getAt,
  INITIAL_CONFIG,
  issuesByPath,
  issuesFromApiProblems,
  OPTIMIZER_NAMES,
  optimizerSettingKeys,
  parseTags,
  SCHEDULE_KINDS,
  scheduleSettingKeys,
  setAt,
  withModelKind,
  withOptimizer,
  withSchedule,
  type ConfigDraft,
} from './run-form-state';

interface RunFormInitial {
  config: ConfigDraft;
  name: string;
  tags: string;
  duplicateOf?: { id: string; name: string };
}

/** "Duplicate this run" (?from=<run id>) prefills the form from that run's stored configuration. */
export function RunFormPage({ projectId, duplicateOf }: { projectId: string; duplicateOf?: string }) {
  const source = useQuery(RunToDuplicateDocument, { variables: { id: duplicateOf ?? '' }, skip: !duplicateOf });
  if (!duplicateOf) return <RunForm projectId={projectId} initial={{ config: INITIAL_CONFIG, name: '', tags: '' }} />;
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
        tags: run.tags.join(', '),
        duplicateOf: { id: run.id, name: run.name },
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
  const checkView = runCheckView({ configValid: validation.ok, currentKey: check.currentKey, answered: check.answered, failure: check.failure, refusedByPolicy });
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

  const modelKind = getAt(config, 'model.kind');
  const optimizerName = getAt(config, 'optimizer.name');
  const scheduleKind = getAt(config, 'schedule.kind') ?? 'constant';
  const rangeTest = getAt(config, 'lrRangeTest') !== undefined;

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
              Duplicating <Link href={`/runs/${initial.duplicateOf.id}`}>{initial.duplicateOf.name}</Link>: change what you want to try.
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

          <fieldset>
            <legend>Dataset</legend>
            <div className="field-grid">
              <ChoiceField path="dataset.name" choices={DATASET_NAMES} />
              <NumberField path="dataset.trainSize" />
              <NumberField path="dataset.testSize" />
              <NumberField path="dataset.splitSeed" />
            </div>
          </fieldset>

          <fieldset>
            <legend>Model</legend>
            <div className="segmented" role="radiogroup" aria-label="Model kind">
              {(['mlp', 'cnn'] as const).map((kind) => (
                <label key={kind} className={modelKind === kind ? 'active' : undefined}>
                  <input type="radio" name="model.kind" value={kind} checked={modelKind === kind} onChange={() => replace(withModelKind(config, kind))} />
                  {kind === 'mlp' ? 'MLP' : 'CNN'}
                </label>
              ))}
            </div>
            {modelKind === 'cnn' ? (
              <>
                <ConvLayersEditor />
                <UnitsListEditor path="model.dense" title="Dense layers" />
              </>
            ) : (
              <UnitsListEditor path="model.hiddenLayers" title="Hidden layers" />
            )}
            <div className="field-grid">
              <ChoiceField path="model.activation" />
              <NumberField path="model.dropout" />
            </div>
          </fieldset>

          <fieldset>
            <legend>Optimizer</legend>
            <div className="field-grid">
              <ChoiceField path="optimizer.name" choices={OPTIMIZER_NAMES} onChoose={(value) => replace(withOptimizer(config, value))} />
              {optimizerSettingKeys(optimizerName).map((key) => (
                <SchemaField key={key} path={`optimizer.${key}`} />
              ))}
            </div>
          </fieldset>

          <fieldset>
            <legend>Learning-rate schedule</legend>
            <div className="field-grid">
              <ChoiceField path="schedule.kind" choices={SCHEDULE_KINDS} onChoose={(value) => replace(withSchedule(config, value))} />
              {scheduleSettingKeys(scheduleKind).map((key) => (
                <SchemaField key={key} path={`schedule.${key}`} />
              ))}
            </div>
          </fieldset>

          <fieldset>
            <legend>Training</legend>
            <div className="field-grid">
              <NumberField path="batchSize" />
              <NumberField path="epochs" />
              <NumberField path="seed" />
            </div>
            <label className="check">
              <input type="checkbox" checked={rangeTest} onChange={(e) => setField('lrRangeTest', e.target.checked ? {} : undefined)} />
              Learning-rate range test instead of training
            </label>
            {rangeTest && (
              <div className="field-grid">
                <NumberField path="lrRangeTest.startLearningRate" />
                <NumberField path="lrRangeTest.endLearningRate" />
                <NumberField path="lrRangeTest.steps" />
              </div>
            )}
          </fieldset>

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
          {apiError && apiError.problems.length === 0 && !refusedByPolicy && <ErrorNotice error={submission.error} />}
          <RunCheckNotice view={checkView} />
          {overrideRequired && (
            <label className="field override-reason">
              <span className="field-label">Override reason (required; recorded on the run)</span>
              <textarea
                name="overrideReason"
                rows={2}
                required
                value={overrideReason}
                placeholder="Why this run should go ahead despite the policy, e.g. re-testing it on the new dataset"
                onChange={(e) => setOverrideReason(e.target.value)}
              />
            </label>
          )}
          <div className="row">
            <button
              type="submit"
              disabled={!canSubmitRun({ configValid: validation.ok, submitting: submission.loading, overrideRequired, overrideReason })}
            >
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

/** What the configuration implies, live: parameter count, layer shapes and the learning-rate curve. */
function DerivedPanel({ config }: { config: RunConfig | undefined }) {
  const derived = useMemo(() => {
    if (!config) return undefined;
    const steps = config.lrRangeTest ? config.lrRangeTest.steps : totalSteps(config);
    const curve = config.lrRangeTest
      ? rangeTestCurve(config.lrRangeTest.startLearningRate, config.lrRangeTest.endLearningRate, config.lrRangeTest.steps)
      : learningRateCurve(config, steps);
    return { facts: deriveFacts(config), steps, curve };
  }, [config]);
  if (!derived) {
    return (
      <aside className="derived" aria-label="Derived facts">
        <h2>Model</h2>
        <p className="muted">Fix the highlighted fields to see the parameter count, layer shapes and learning-rate schedule.</p>
      </aside>
    );
  }
  const { facts, steps, curve } = derived;
  return (
    <aside className="derived" aria-label="Derived facts">
      <h2>Model</h2>
      <dl className="facts">
        <dt>Parameters</dt>
        <dd data-testid="derived-params">{facts.parameterCount.toLocaleString('en-GB')}</dd>
        <dt>FLOPs / sample</dt>
        <dd>{formatMetric(facts.flopsPerSample)}</dd>
        <dt>Input</dt>
        <dd>{facts.inputShape.join('×')}</dd>
        <dt>Optimizer steps</dt>
        <dd>{steps.toLocaleString('en-GB')}</dd>
      </dl>
      <table className="plain small" aria-label="Layers">
        <thead>
          <tr>
            <th>Layer</th>
            <th>Output</th>
            <th className="numeric">Params</th>
          </tr>
        </thead>
        <tbody>
          {facts.layers.map((layer) => (
            <tr key={layer.name}>
              <td>{layer.name}</td>
              <td>{layer.outputShape.join('×')}</td>
              <td className="numeric">{layer.params.toLocaleString('en-GB')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Chart
        label="Learning-rate schedule"
        height={200}
        option={buildLineChartOption({
          title: config?.lrRangeTest ? 'Range test learning rate' : 'Learning rate',
          xName: 'step',
          logY: Boolean(config?.lrRangeTest),
          series: [{ name: 'learning rate', points: { data: curve.map((p) => [p.step, p.learningRate]) } }],
        })}
      />
    </aside>
  );
}

/** The range test raises the rate exponentially from start to end over its steps. */
function rangeTestCurve(start: number, end: number, steps: number) {
  const count = Math.min(steps, 200);
  return Array.from({ length: count }, (_, i) => {
    const step = Math.round((i * (steps - 1)) / Math.max(1, count - 1));
    return { step, learningRate: start * (end / start) ** (step / Math.max(1, steps - 1)) };
  });
}

function SubmitResult({ projectId, result }: { projectId: string; result: SubmitRunMutation['submitRun'] }) {
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

type CheckInput = { projectId: string; hparams: unknown; name: string | null; tags: string[] };

/**
 * Calls checkRun 400 ms after the input stops changing. Answers are keyed by the input they are about, and
 * an answer to an older input than the latest asked is dropped, so a slow reply never hides a newer one.
 */
function useRunCheck(input: CheckInput | null) {
  const client = useApolloClient();
  const [answered, setAnswered] = useState<{ key: string; result: RunCheckResult } | null>(null);
  const [failure, setFailure] = useState<{ key: string; message: string } | null>(null);
  const latestAsked = useRef<string | null>(null);
  const currentKey = input ? JSON.stringify(input) : null;
  useEffect(() => {
    if (!input || !currentKey) return;
    const timer = setTimeout(() => {
      latestAsked.current = currentKey;
      // network-only: findings change while the form is open, so an earlier answer for the same input may be stale.
      client
        .query({ query: CheckRunDocument, variables: { input }, fetchPolicy: 'network-only' })
        .then((result) => {
          if (latestAsked.current !== currentKey) return;
          if (result.data) setAnswered({ key: currentKey, result: result.data.checkRun });
          else setFailure({ key: currentKey, message: 'the API returned no answer' });
        })
        .catch((error: unknown) => {
          if (latestAsked.current === currentKey) setFailure({ key: currentKey, message: summarizeApiError(error).message });
        });
    }, 400);
    return () => clearTimeout(timer);
    // input is derived from currentKey; the key is what identifies it.
  }, [currentKey, client]);
  return { currentKey, answered, failure };
}
