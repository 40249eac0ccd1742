import { describe, expect, it } from 'vitest';
import { isRunFinished, pruningFigures, runStatusExplanation, runStatusLabel } from './run-status';

describe('run statuses on the page', () => {
  it('counts a run as finished once it left the queue and training (a lost run may still come back)', () => {
    expect((['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'DIVERGED', 'LOST', 'PRUNED'] as const).filter(isRunFinished)).toEqual([
      'SUCCEEDED',
      'FAILED',
      'CANCELLED',
      'DIVERGED',
      'PRUNED',
    ]);
  });
  it('reads in lower case, as the badge classes are named', () => {
    expect(runStatusLabel('DIVERGED')).toBe('diverged');
    expect(runStatusLabel('LOST')).toBe('lost');
    expect(runStatusLabel('PRUNED')).toBe('pruned');
  });
  it('explains a lost run in its tooltip', () => {
    expect(runStatusExplanation('LOST')).toContain('sent no heartbeat or metrics');
  });
  it('explains a pruned run, and words the figures of its decision', () => {
    expect(runStatusExplanation('PRUNED')).toContain('early stopping');
    expect(pruningFigures({ resource: 3, unit: 'epoch', value: 0.81, cutoff: 0.86, competitors: 7 })).toBe(
      'at epoch 3: 0.81 against a cutoff of 0.86, among 7 trials',
    );
    expect(pruningFigures({ resource: 120, unit: null, value: 0.123456789, cutoff: null, competitors: 1 })).toBe('at 120: 0.1235, among 1 trial');
    expect(pruningFigures({ resource: 2.5 })).toBe('at 2.5');
  });
});
