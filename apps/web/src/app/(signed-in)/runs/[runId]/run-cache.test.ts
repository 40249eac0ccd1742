import { InMemoryCache } from '@apollo/client';
import { describe, expect, it } from 'vitest';
import { RunPageDocument, type RunPageQuery } from '@/graphql/generated/graphql';
import { applyRunEvent, mergeSeries, type RunEvent } from './run-cache';

const variables = { id: 'run-1', maxPoints: 2000 };

function pageData(): RunPageQuery {
  return {
    run: {
      __typename: 'Run',
      id: 'run-1',
      name: 'baseline',
      status: 'RUNNING',
      hparams: {},
      params: {},
      paramTypes: null,
      schemaVersion: null,
      tags: [],
      notes: '',
      backend: 'cpu',
      device: 'cpu (JavaScript, 1 thread)',
      createdAt: '2026-01-01T00:00:00.000Z',
      startedAt: '2026-01-01T00:00:01.000Z',
      finishedAt: null,
      lastSeenAt: null,
      error: null,
      divergedAtStep: null,
      divergedLearningRate: null,
      pruning: null,
      results: null,
      attempt: 1,
      checkpoint: null,
      parent: null,
      children: [],
      policyOverride: null,
      findings: [],
      project: { __typename: 'Project', id: 'project-1', name: 'spirals' },
      derived: { __typename: 'DerivedFacts', parameterCount: 1218, flopsPerSample: 2300 },
      metrics: [{ __typename: 'MetricSummary', key: 'train.loss', pointCount: 2, lastStep: 1, last: 0.9, min: 0.9, max: 1 }],
      annotations: [],
    },
    metricSeries: [{ __typename: 'MetricSeries', runId: 'run-1', key: 'train.loss', steps: [0, 1], values: [1, 0.9], wallTimes: [10, 11] }],
  } as unknown as RunPageQuery;
}

function event(kind: RunEvent['kind'], run: Partial<RunEvent['run']>, metrics: RunEvent['metrics'] = []): RunEvent {
  const base = pageData().run!;
  const live = {
    __typename: 'Run',
    id: base.id,
    status: base.status,
    backend: base.backend,
    device: base.device,
    startedAt: base.startedAt,
    finishedAt: base.finishedAt,
    lastSeenAt: base.lastSeenAt,
    error: base.error,
    divergedAtStep: base.divergedAtStep,
    divergedLearningRate: base.divergedLearningRate,
    pruning: base.pruning,
    results: base.results,
    attempt: base.attempt,
    checkpoint: base.checkpoint,
    metrics: base.metrics,
    ...run,
  };
  return { kind, run: live, metrics: metrics.map((m) => ({ __typename: 'MetricSeries', ...m })) } as RunEvent;
}

function cachedPage(): InMemoryCache {
  const cache = new InMemoryCache();
  cache.writeQuery({ query: RunPageDocument, variables, data: pageData() });
  return cache;
}

describe('run events in the cache', () => {
  it('appends the points of a METRICS_APPENDED event to the series the page holds, and updates the summaries', () => {
    const cache = cachedPage();
    const applied = applyRunEvent(
      cache,
      variables,
      event('METRICS_APPENDED', { metrics: [{ key: 'train.loss', pointCount: 4, lastStep: 3, last: 0.7, min: 0.7, max: 1 }] as RunEvent['run']['metrics'] }, [
        { runId: 'run-1', key: 'train.loss', steps: [2, 3], values: [0.8, 0.7], wallTimes: [12, 13] },
        { runId: 'run-1', key: 'test.accuracy', steps: [3], values: [0.6], wallTimes: [13] },
      ]),
    );
    expect(applied).toBe(true);
    const page = cache.readQuery({ query: RunPageDocument, variables })!;
    expect(page.metricSeries.map((s) => [s.key, s.steps, s.values])).toEqual([
      ['train.loss', [0, 1, 2, 3], [1, 0.9, 0.8, 0.7]],
      ['test.accuracy', [3], [0.6]],
    ]);
    expect(page.run!.metrics[0]).toMatchObject({ pointCount: 4, lastStep: 3, last: 0.7 });
    // What events never carry is left as the page read it.
    expect(page.run!.derived.parameterCount).toBe(1218);
  });

  it('takes a status change from the event itself', () => {
    const cache = cachedPage();
    applyRunEvent(cache, variables, event('STATUS_CHANGED', { status: 'SUCCEEDED', finishedAt: '2026-01-01T00:01:00.000Z', results: { best: 1 } }));
    const page = cache.readQuery({ query: RunPageDocument, variables })!;
    expect(page.run).toMatchObject({ status: 'SUCCEEDED', finishedAt: '2026-01-01T00:01:00.000Z', results: { best: 1 }, name: 'baseline' });
    expect(page.metricSeries[0]!.steps).toEqual([0, 1]);
  });

  it('reports an event that came before the page was loaded, so the caller can keep it', () => {
    const cache = new InMemoryCache();
    expect(applyRunEvent(cache, variables, event('METRICS_APPENDED', {}, []))).toBe(false);
  });

  it('merges overlapping steps (the catch-up read) without duplicating them', () => {
    const merged = mergeSeries(pageData(), 'run-1', [{ key: 'train.loss', steps: [1, 2], values: [0.95, 0.8], wallTimes: [11, 12] }]);
    expect(merged.metricSeries[0]).toMatchObject({ runId: 'run-1', steps: [0, 1, 2], values: [1, 0.95, 0.8] });
  });
});
