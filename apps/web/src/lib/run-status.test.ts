import { describe, expect, it } from 'vitest';
import { isRunFinished, runStatusExplanation, runStatusLabel } from './run-status';

describe('run statuses on the page', () => {
  it('counts a run as finished once it left the queue and training (a lost run may still come back)', () => {
    expect((['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'DIVERGED', 'LOST'] as const).filter(isRunFinished)).toEqual([
      'SUCCEEDED',
      'FAILED',
      'CANCELLED',
      'DIVERGED',
    ]);
  });
  it('reads in lower case, as the badge classes are named', () => {
    expect(runStatusLabel('DIVERGED')).toBe('diverged');
    expect(runStatusLabel('LOST')).toBe('lost');
  });
  it('explains a lost run in its tooltip', () => {
    expect(runStatusExplanation('LOST')).toContain('sent no heartbeat or metrics');
  });
});
