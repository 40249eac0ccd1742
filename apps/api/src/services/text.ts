import { badUserInput } from './errors';

/**
 * Bounds on free text stored as it is written (notes, comments, reasons). Generous for people, small enough
 * that one request cannot store megabytes that every later read of the run or finding carries back.
 */
export const TEXT_LIMITS = {
  /** A run's Markdown notes: a long lab-notebook page. */
  notes: 100_000,
  /** An annotation on a run or a comment on a finding. */
  comment: 20_000,
  /** Why a policy was overridden or a finding retired. */
  reason: 2_000,
} as const;

/** The text itself, or BAD_USER_INPUT naming the argument when it is longer than `max` characters. */
export function boundedText(text: string, path: string, max: number): string {
  if (text.length > max)
    throw badUserInput(`${path} has ${text.length.toLocaleString('en-US')} characters; the limit is ${max.toLocaleString('en-US')}`, [
      { path, message: `at most ${max} characters` },
    ]);
  return text;
}
