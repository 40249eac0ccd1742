'use client';
import { stepsPerEpoch } from '@tuneboard/hparams';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useMemo, useState } from 'react';
import { Chart } from '@/charts/chart';
import { buildLineChartOption, buildParallelOption, buildScatterOption } from '@/charts/chart-options';
import { prefersLogAxis, toChartPoints, X_AXIS_KINDS, type XAxisKind } from '@/charts/series-points';
import {
  CompareAnnotationsDocument,
  CompareRunsDocument,
  type CompareAnnotationsQuery,
  type CompareAnnotationsQueryVariables,
  ProjectFindingsDocument,
  ProjectSchemaDocument,
  type CompareRunsQuery,
  type CompareRunsQueryVariables,
  type ProjectFindingsQuery,
  type ProjectFindingsQueryVariables,
  type ProjectSchemaQuery,
  type ProjectSchemaQueryVariables,
} from '@/graphql/generated/graphql';
import { schemaVocabulary } from '@/lib/project-schema';
import { isSystemMetric } from '../runs-table-columns';
import { boundaryLines, checkRunAgainstFindings, ruleAxis, ruleBoundary } from '@/lib/finding-rules';
import { FindingCheckBadges } from '../../../findings/finding-badges';
import { Empty, ErrorNotice, Loading } from '../../../../status-views';
import { mostVaryingNumericPath, parallelInput, scatterPoints, stepsPerEpochDiffer, varyingParams, type ComparedRun } from './compare-model';
import { GroupByControl, GroupCharts } from './group-charts';
import { annotationMarkers } from './annotation-markers';
import { RecordFinding } from './record-finding';
import { COMPARE_MAX_POINTS, compareQueryString, parseCompareState, type CompareState, type MetricAggregate } from './compare-state';
import { useSeededQuery, type SeededQuery } from '@/lib/server-seeded-query';

const MAX_PARALLEL_AXES = 10;
const X_AXIS_NAMES: Record<XAxisKind, string> = { step: 'step', epoch: 'epoch', time: 'seconds since start' };

type Series = CompareRunsQuery['metricSeries'][number];

/** The page's queries as the server read them for this URL, so the first render has the runs without asking again. */
export interface CompareSeeds {
  runs?: SeededQuery<CompareRunsQuery, CompareRunsQueryVariables>;
  schema?: SeededQuery<ProjectSchemaQuery, ProjectSchemaQueryVariables>;
  findings?: SeededQuery<ProjectFindingsQuery, ProjectFindingsQueryVariables>;
  annotations?: SeededQuery<CompareAnnotationsQuery, CompareAnnotationsQueryVariables>;
}

export function CompareView({ projectId, seeds = {} }: { projectId: string; seeds?: CompareSeeds }) {
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const urlState = useMemo(() => parseCompareState(Object.fromEntries(searchParams)), [searchParams]);
  const update = (patch: Partial<CompareState>) => router.replace(`${pathname}${compareQueryString({ ...urlState, ...patch })}`, { scroll: false });

  const { data, error, refetch } = useSeededQuery(
    CompareRunsDocument,
    { variables: { runIds: [...urlState.runIds], maxPoints: COMPARE_MAX_POINTS }, skip: urlState.runIds.length === 0 },
    seeds.runs,
  );

  const model = useMemo(() => (data ? compareModel(data.metricSeries, urlState.runIds) : undefined), [data, urlState.runIds]);
  // Projects with their own schema have other metrics and hyperparameters than the built-in defaults.
  const state = useMemo(() => (model ? withFallbacks(urlState, model) : urlState), [urlState, model]);
  const schemaQuery = useSeededQuery(ProjectSchemaDocument, { variables: { id: projectId } }, seeds.schema);
  const vocabulary = useMemo(() => schemaVocabulary(schemaQuery.data?.project?.hparamSchema), [schemaQuery.data]);
  // The project's findings, checked here against each compared run (and drawable on the scatter).
  const findingsQuery = useSeededQuery(ProjectFindingsDocument, { variables: { projectId } }, seeds.findings);
  const activeFindings = useMemo(() => (findingsQuery.data?.findings ?? []).filter((f) => f.status !== 'RETIRED'), [findingsQuery.data]);
  const [recording, setRecording] = useState(false);
  // Notes on the runs, drawn as markers at their steps.
  const annotationsQuery = useSeededQuery(
    CompareAnnotationsDocument,
    { variables: { runIds: [...urlState.runIds] }, skip: urlState.runIds.length === 0 },
    seeds.annotations,
  );
  const notes = annotationsQuery.data?.runAnnotations ?? [];

  if (state.runIds.length === 0) {
    return <Empty action={{ href: `/projects/${projectId}`, label: 'Choose runs in the runs table' }}>No runs selected to compare.</Empty>;
  }
  if (error && !data) return <ErrorNotice error={error} retry={() => void refetch()} />;
  if (!model) return <Loading what={`${state.runIds.length} runs`} />;
  if (model.runs.length === 0) return <Empty>None of these runs has logged metrics yet.</Empty>;

  const paths = varyingParams(model.runs);
  const parallelPaths = paths.filter((p) => !/\[\d+\]/.test(p)).slice(0, MAX_PARALLEL_AXES);
  const numericPaths = paths.filter((path) => model.runs.some((run) => typeof run.params[path] === 'number'));
  const scatter = scatterPoints(model.runs, state.scatterParam, state.targetMetric);
  const target = `${state.targetMetric.aggregate}(${state.targetMetric.key})`;
  const boundaryFinding = activeFindings.find((f) => f.id === state.boundaryFindingId);
  const boundary = boundaryFinding ? ruleBoundary(boundaryFinding.rule, state.scatterParam) : undefined;
  const runNames = new Map(model.runs.map((run) => [run.id, run.name]));
  const markersFor = (key: string) =>
    annotationMarkers(notes, {
      xAxis: state.xAxis,
      runName: (id) => runNames.get(id),
      stepsPerEpoch: model.stepsPerEpoch,
      startTime: model.startTime,
      seriesOf: (id) => model.series.get(`${id}\u0000${key}`),
    });

  return (
    <>
      <ul className="compared-runs" aria-label="Compared runs">
        {model.runs.map((run) => (
          <li key={run.id}>
            <Link href={`/runs/${run.id}`}>{run.name}</Link> <FindingCheckBadges checks={checkRunAgainstFindings(activeFindings, run)} />
          </li>
        ))}
      </ul>
      {model.missing > 0 && (
        <p className="muted">
          {model.missing} selected {model.missing === 1 ? 'run has' : 'runs have'} no metrics yet
        </p>
      )}
      <div className="toolbar" aria-label="Chart settings">
        <label>
          x axis{' '}
          <select aria-label="x axis" value={state.xAxis} onChange={(e) => update({ xAxis: e.target.value as XAxisKind, xAxisChosen: true })}>
            {X_AXIS_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {X_AXIS_NAMES[kind]}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={state.logY} onChange={(e) => update({ logY: e.target.checked })} /> log scale
        </label>
        <label>
          smoothing{' '}
          <input
            type="range"
            aria-label="smoothing"
            min={0}
            max={0.99}
            step={0.01}
            value={state.smoothing}
            onChange={(e) => update({ smoothing: Number(e.target.value) })}
          />{' '}
          {state.smoothing.toFixed(2)}
        </label>
        <GroupByControl groupBy={state.groupBy} band={state.band} paths={paths} onChange={update} />
      </div>

      {state.groupBy ? (
        <GroupCharts
          projectId={projectId}
          runIds={model.runs.map((run) => run.id)}
          groupBy={state.groupBy}
          band={state.band}
          xAxis={state.xAxis}
          xName={X_AXIS_NAMES[state.xAxis]}
          logY={state.logY}
          keyOrder={model.keys}
          markersFor={markersFor}
        />
      ) : (
        <section className="chart-grid" aria-label="Metrics">
          {model.keys.map((key) => (
            <Chart
              key={key}
              label={key}
              option={buildLineChartOption({
                title: key,
                xName: X_AXIS_NAMES[state.xAxis],
                logY: state.logY,
                markers: markersFor(key),
                series: model.runs.flatMap((run) => {
                  const series = model.series.get(`${run.id}\u0000${key}`);
                  if (!series) return [];
                  return [
                    {
                      name: run.name,
                      points: toChartPoints(
                        series,
                        { kind: state.xAxis, stepsPerEpoch: model.stepsPerEpoch.get(run.id), startTime: model.startTime.get(run.id) },
                        { smoothing: state.smoothing, logY: state.logY },
                      ),
                    },
                  ];
                }),
              })}
            />
          ))}
        </section>
      )}

      <section className="panel" aria-label="Hyperparameters against a metric">
        <div className="toolbar">
          <h2>Hyperparameters → {target}</h2>
          <label>
            metric{' '}
            <select
              aria-label="target metric"
              value={state.targetMetric.key}
              onChange={(e) => update({ targetMetric: { ...state.targetMetric, key: e.target.value } })}
            >
              {model.keys.map((key) => (
                <option key={key}>{key}</option>
              ))}
            </select>
          </label>
          <select
            aria-label="aggregate"
            value={state.targetMetric.aggregate}
            onChange={(e) => update({ targetMetric: { ...state.targetMetric, aggregate: e.target.value as MetricAggregate } })}
          >
            <option value="last">last</option>
            <option value="min">min</option>
            <option value="max">max</option>
          </select>
          <span className="spacer" />
          <button type="button" onClick={() => setRecording(true)} disabled={recording}>
            Record a finding
          </button>
        </div>
        {recording && <RecordFinding projectId={projectId} runs={model.runs} state={state} vocabulary={vocabulary} onClose={() => setRecording(false)} />}
        {parallelPaths.length === 0 ? (
          <p className="muted">These runs share every hyperparameter: nothing to lay out in parallel.</p>
        ) : (
          <Chart label="Parallel coordinates" height={340} option={buildParallelOption(parallelInput(model.runs, parallelPaths, state.targetMetric))} />
        )}
        <div className="toolbar">
          <label>
            scatter x{' '}
            <select aria-label="scatter x" value={state.scatterParam} onChange={(e) => update({ scatterParam: e.target.value, scatterChosen: true })}>
              {[...new Set([state.scatterParam, ...numericPaths])].map((path) => (
                <option key={path}>{path}</option>
              ))}
            </select>
          </label>
          {activeFindings.length > 0 && (
            <label>
              finding boundary{' '}
              <select
                aria-label="finding boundary"
                value={boundaryFinding?.id ?? ''}
                onChange={(e) => {
                  const finding = activeFindings.find((f) => f.id === e.target.value);
                  const axis = finding ? ruleAxis(finding.rule) : undefined;
                  update({ boundaryFindingId: finding?.id ?? null, scatterParam: axis ?? state.scatterParam, scatterChosen: true });
                }}
              >
                <option value="">none</option>
                {activeFindings.map((finding) => (
                  <option key={finding.id} value={finding.id}>
                    {finding.title} ({finding.rule})
                  </option>
                ))}
              </select>
            </label>
          )}
          {boundaryFinding && !boundary && (
            <span className="muted small">
              “{boundaryFinding.rule}” sets no single bound on {state.scatterParam} to draw.
            </span>
          )}
        </div>
        {scatter.length === 0 ? (
          <p className="muted">
            No run has both a numeric {state.scatterParam} and a {target}.
          </p>
        ) : (
          <Chart
            label="Scatter"
            option={buildScatterOption({
              xName: state.scatterParam,
              yName: target,
              logX: prefersLogAxis(
                state.scatterParam,
                scatter.map((p) => p.x),
              ),
              logY: false,
              points: scatter,
              boundary: boundary ? boundaryLines(boundary) : undefined,
            })}
          />
        )}
      </section>
    </>
  );
}

/**
 * The URL's metric and axes, or defaults that suit the selection: epochs when the runs' steps per epoch differ
 * (a batch-size sweep, whose steps do not line up), and as the scatter's x the numeric hyperparameter that varies
 * most among the runs. A metric or scatter path the runs do not have (the defaults are the built-in trainer's)
 * falls back to one they do, so an open-schema comparison is never empty.
 */
function withFallbacks(state: CompareState, model: CompareModel): CompareState {
  const targetMetric =
    model.keys.includes(state.targetMetric.key) || model.keys.length === 0 ? state.targetMetric : { key: model.keys[0]!, aggregate: 'last' as const };
  const xAxis = state.xAxisChosen ? state.xAxis : stepsPerEpochDiffer(model.stepsPerEpoch, state.runIds) ? 'epoch' : state.xAxis;
  const numeric = (path: string) => model.runs.some((run) => typeof run.params[path] === 'number');
  if (state.scatterChosen && numeric(state.scatterParam)) return { ...state, xAxis, targetMetric };
  const any = [...new Set(model.runs.flatMap((run) => Object.keys(run.params)))].filter(numeric).sort();
  const fallback = numeric(state.scatterParam) ? state.scatterParam : any[0];
  return { ...state, xAxis, targetMetric, scatterParam: mostVaryingNumericPath(model.runs, state.scatterParam) ?? fallback ?? state.scatterParam };
}

interface CompareModel {
  runs: ComparedRun[];
  /** Selected runs that came back without any series. */
  missing: number;
  keys: string[];
  series: Map<string, Series>;
  stepsPerEpoch: Map<string, number>;
  startTime: Map<string, number>;
}

const KEY_ORDER = ['train.loss', 'test.loss', 'test.accuracy', 'train.accuracy', 'train.epoch_loss', 'train.learning_rate'];

function compareModel(all: readonly Series[], runIds: readonly string[]): CompareModel {
  const runs = new Map<string, ComparedRun>();
  const series = new Map<string, Series>();
  const perEpoch = new Map<string, number>();
  const startTime = new Map<string, number>();
  for (const s of all) {
    series.set(`${s.runId}\u0000${s.key}`, s);
    if (s.wallTimes.length > 0) startTime.set(s.runId, Math.min(startTime.get(s.runId) ?? Infinity, s.wallTimes[0]!));
    if (!runs.has(s.runId)) {
      runs.set(s.runId, {
        id: s.run.id,
        name: s.run.name,
        status: s.run.status,
        tags: s.run.tags,
        params: (s.run.params ?? {}) as Record<string, unknown>,
        metrics: s.run.metrics,
      });
      // From the flat params (the stored, validated config's leaves), not by validating the config here again: that
      // would load the trainer's zod schema into the page.
      const params = (s.run.params ?? {}) as Record<string, unknown>;
      const trainSize = params['dataset.trainSize'];
      const batchSize = params.batchSize;
      if (typeof trainSize === 'number' && typeof batchSize === 'number' && batchSize > 0)
        perEpoch.set(s.runId, stepsPerEpoch({ dataset: { trainSize }, batchSize }));
    }
  }
  const keys = [...new Set(all.map((s) => s.key))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const ordered = runIds.map((id) => runs.get(id)).filter((run): run is ComparedRun => run !== undefined);
  return { runs: ordered, missing: runIds.length - ordered.length, keys, series, stepsPerEpoch: perEpoch, startTime };
}

function rank(key: string): number {
  const index = KEY_ORDER.indexOf(key);
  // The machine metrics `tuneboard run` samples go after the script's own.
  return index !== -1 ? index : isSystemMetric(key) ? KEY_ORDER.length + 1 : KEY_ORDER.length;
}
