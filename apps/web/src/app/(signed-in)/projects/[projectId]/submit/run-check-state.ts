// What the form shows about the API's dry run (checkRun) of the configuration being edited, and whether it
// may be submitted. The check is debounced, so its answer can belong to an earlier version of the form.
import type { CheckRunQuery } from '@/graphql/generated/graphql';

export type RunCheckResult = CheckRunQuery['checkRun'];
export type RunCheckWarning = RunCheckResult['warnings'][number];

export interface RunCheckInput {
  /** The form's own validation passed; nothing is checked before. */
  configValid: boolean;
  /** What the form holds now, and what the last answer was about (serialised submit inputs). */
  currentKey: string | null;
  answered: { key: string; result: RunCheckResult } | null;
  failure: { key: string; message: string } | null;
  /** The last submission was refused as a policy violation (a policy may be newer than the last check). */
  refusedByPolicy: boolean;
}

export type RunCheckView =
  | { kind: 'idle' }
  | { kind: 'checking'; warnings: readonly RunCheckWarning[] }
  | { kind: 'failed'; message: string }
  | { kind: 'checked'; warnings: readonly RunCheckWarning[]; needsOverride: boolean };

export function runCheckView(input: RunCheckInput): RunCheckView {
  if (!input.configValid || input.currentKey === null) return { kind: 'idle' };
  const current = input.answered?.key === input.currentKey ? input.answered.result : null;
  if (!current) {
    if (input.failure?.key === input.currentKey) return { kind: 'failed', message: input.failure.message };
    // The previous answer stays visible (dimmed) while the new one comes, so warnings do not flicker.
    return { kind: 'checking', warnings: input.answered?.result.warnings ?? [] };
  }
  return { kind: 'checked', warnings: current.warnings, needsOverride: current.needsOverride || input.refusedByPolicy };
}

/** The override reason field is asked for whenever a policy finding would refuse the run. */
export function needsOverrideReason(view: RunCheckView, refusedByPolicy: boolean): boolean {
  return refusedByPolicy || (view.kind === 'checked' && view.needsOverride);
}

export function canSubmitRun(input: { configValid: boolean; submitting: boolean; overrideRequired: boolean; overrideReason: string }): boolean {
  if (!input.configValid || input.submitting) return false;
  return !input.overrideRequired || input.overrideReason.trim() !== '';
}

/**
 * checkRun phrases a policy it would refuse as if overridden with a placeholder reason ("Overridden: (an
 * override reason)"); before submitting there is no reason yet, so that tail is left out.
 */
export function checkWarningMessage(warning: RunCheckWarning): string {
  return warning.code === 'POLICY_OVERRIDDEN' ? warning.message.replace(/\s*Overridden: \(an override reason\)$/, '') : warning.message;
}

export function warningHeadline(warnings: readonly RunCheckWarning[], needsOverride: boolean): string {
  if (needsOverride) return 'A policy of the team refuses this run unless you give a reason to override it.';
  return `Before you queue it: ${warnings.length === 1 ? 'a finding contradicts' : `${warnings.length} findings contradict`} this run.`;
}
