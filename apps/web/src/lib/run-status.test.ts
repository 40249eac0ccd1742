import { describe, expect, it } from 'vitest';
import { isRunFinished, runStatusLabel } from './run-status';

describe('run statuses on the page', () => {
  it('counts a run as finished once it left the queue and training', () => {
    expect((['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'DIVERGED'] as const).filter(isRunFinished)).toEqual([
      'SUCCEEDED',
      'FAILED',
      'CANCELLED',
      'DIVERGED',
    ]);
  });
  it('reads in lower case, as the badge classes are named', () => {
    expect(runStatusLabel('DIVERGED')).toBe('diverged');
  });
});
