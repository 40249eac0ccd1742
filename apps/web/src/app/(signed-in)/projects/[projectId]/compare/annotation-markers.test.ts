import { describe, expect, it } from 'vitest';
import { annotationMarkers } from './annotation-markers';

describe('annotation markers', () => {
  const notes = [
    { runId: 'a', body: 'loss spike: a bad shard', step: 64 },
    { runId: 'b', body: 'no step', step: null },
    { runId: 'x', body: 'a run not compared', step: 3 },
    { runId: 'b', body: 'a very long note that goes on and on past the label limit', step: 10 },
  ];
  const context = {
    runName: (id: string) => ({ a: 'run-a', b: 'run-b' })[id],
    stepsPerEpoch: new Map([
      ['a', 32],
      ['b', 8],
    ]),
    startTime: new Map([['a', 1_000]]),
  };

  it('puts the notes that name a step at that step, in epochs through each run’s steps per epoch', () => {
    expect(annotationMarkers(notes, { ...context, xAxis: 'step' })).toEqual([
      { x: 64, label: 'run-a: loss spike: a bad shard' },
      { x: 10, label: 'run-b: a very long note that goes on an…' },
    ]);
    expect(annotationMarkers(notes, { ...context, xAxis: 'epoch' }).map((m) => m.x)).toEqual([2, 1.25]);
  });

  it('puts them at the wall time of the nearest point, and leaves out runs without a series', () => {
    const series = { steps: [0, 60, 70], values: [1, 2, 3], wallTimes: [1_000, 7_000, 8_000] };
    expect(annotationMarkers(notes, { ...context, xAxis: 'time', seriesOf: (id) => (id === 'a' ? series : undefined) })).toEqual([
      { x: 6, label: 'run-a: loss spike: a bad shard' },
    ]);
  });
});
