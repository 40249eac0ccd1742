/**
 * The failures a caller can act on, independent of transport. Services throw these; each adapter maps them
 * once: GraphQL in schema/domain-errors.ts, the CLI in cli.ts. Anything else thrown is a bug and is masked.
 */

export interface FieldProblem {
  path: string;
  message: string;
}

export type DomainErrorCode = 'NOT_FOUND' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'BAD_USER_INPUT' | 'CONFLICT' | 'POLICY_VIOLATION' | 'EVENTS_INTERRUPTED';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** Extra facts the client may use: `problems` for invalid input, `findings` for a policy violation. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const isDomainError = (error: unknown): error is DomainError => error instanceof DomainError;

export function notFound(what: string, id: string): DomainError {
  // The same answer whether the thing does not exist or belongs to another team: nothing leaks.
  return new DomainError('NOT_FOUND', `${what} ${id} was not found`);
}

export function unauthenticated(message = 'Send a token: Authorization: Bearer <token>'): DomainError {
  return new DomainError('UNAUTHENTICATED', message);
}

export function forbidden(message: string): DomainError {
  return new DomainError('FORBIDDEN', message);
}

/** Invalid input, with a problem per field so a form can show each message next to its field. */
export function invalid(message: string, problems: FieldProblem[] = []): DomainError {
  return new DomainError('BAD_USER_INPUT', message, { problems });
}
/** The GraphQL name for `invalid`, kept because most call sites read better with it. */
export const badUserInput = invalid;

/** The problems of an `invalid` error, or none. */
export function problemsOf(error: unknown): FieldProblem[] {
  return isDomainError(error) && error.code === 'BAD_USER_INPUT' ? ((error.details.problems as FieldProblem[] | undefined) ?? []) : [];
}

export function conflict(message: string): DomainError {
  return new DomainError('CONFLICT', message);
}

/** Refused by a team policy (a finding of severity policy); `findings` names each one broken. */
export function policyViolation(message: string, findings: { id: string; title: string; rule: string; message: string }[]): DomainError {
  return new DomainError('POLICY_VIOLATION', message, { findings });
}

/** A live subscription that lost events it cannot replay: the client should subscribe again and re-read. */
export function eventsInterrupted(message: string): DomainError {
  return new DomainError('EVENTS_INTERRUPTED', message);
}
