import { describe, expect, it } from 'vitest';
import { canSubmitRun, checkWarningMessage, needsOverrideReason, runCheckView, warningHeadline, type RunCheckResult } from './run-check-state';

const advice: RunCheckResult = {
  needsOverride: false,
  problems: [],
  warnings: [{ code: 'FINDING_VIOLATED', message: 'breaks "Keep batch ≤ 32"', finding: { id: 'f', title: 'Keep batch ≤ 32', severity: 'ADVICE' } }],
};
const policy: RunCheckResult = { ...advice, needsOverride: true };
const base = { configValid: true, currentKey: 'k2', answered: null, failure: null, refusedByPolicy: false };

describe('the run check shown beside the submit button', () => {
  it('checks nothing while the form itself has problems', () => {
    expect(runCheckView({ ...base, configValid: false, answered: { key: 'k2', result: advice } })).toEqual({ kind: 'idle' });
  });

  it('shows the answer about the current input, and the previous one while re-checking', () => {
    expect(runCheckView({ ...base, answered: { key: 'k2', result: advice } })).toEqual({ kind: 'checked', warnings: advice.warnings, needsOverride: false });
    expect(runCheckView({ ...base, answered: { key: 'k1', result: advice } })).toEqual({ kind: 'checking', warnings: advice.warnings });
    expect(runCheckView(base)).toEqual({ kind: 'checking', warnings: [] });
  });

  it('reports a failed check only for the current input', () => {
    expect(runCheckView({ ...base, failure: { key: 'k2', message: 'down' } })).toEqual({ kind: 'failed', message: 'down' });
    expect(runCheckView({ ...base, failure: { key: 'k1', message: 'down' } }).kind).toBe('checking');
  });

  it('asks for an override reason when a policy refuses the run, and blocks submitting until one is given', () => {
    const view = runCheckView({ ...base, answered: { key: 'k2', result: policy } });
    expect(needsOverrideReason(view, false)).toBe(true);
    expect(needsOverrideReason(runCheckView({ ...base, answered: { key: 'k2', result: advice } }), false)).toBe(false);
    // A policy newer than the last check refuses the submission: the reason is asked for then.
    expect(needsOverrideReason({ kind: 'idle' }, true)).toBe(true);
    const form = { configValid: true, submitting: false, overrideRequired: true };
    expect(canSubmitRun({ ...form, overrideReason: '  ' })).toBe(false);
    expect(canSubmitRun({ ...form, overrideReason: 're-testing on the new data' })).toBe(true);
    expect(canSubmitRun({ ...form, overrideRequired: false, overrideReason: '' })).toBe(true);
    expect(canSubmitRun({ ...form, configValid: false, overrideRequired: false, overrideReason: '' })).toBe(false);
  });

  it('leaves out the placeholder override reason checkRun puts in a policy warning', () => {
    const warning = {
      code: 'POLICY_OVERRIDDEN',
      message: 'This run breaks the policy "P". Not enough evidence yet. Overridden: (an override reason)',
      finding: null,
    };
    expect(checkWarningMessage(warning)).toBe('This run breaks the policy "P". Not enough evidence yet.');
    expect(checkWarningMessage({ ...warning, code: 'FINDING_VIOLATED', message: 'x' })).toBe('x');
  });

  it('words the headline by how many findings object and whether a policy does', () => {
    expect(warningHeadline(advice.warnings, false)).toBe('Before you queue it: a finding contradicts this run.');
    expect(warningHeadline([...advice.warnings, ...advice.warnings], false)).toBe('Before you queue it: 2 findings contradict this run.');
    expect(warningHeadline(advice.warnings, true)).toMatch(/policy of the team refuses/);
  });
});
