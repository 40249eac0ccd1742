// What went wrong with an API call, in words for the page, plus the facts pages act on.
import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors';

export interface FieldProblem {
  path: string;
  message: string;
}

export interface ApiErrorSummary {
  message: string;
  /** The token is unknown or revoked: the page offers to sign in again. */
  unauthenticated: boolean;
  notFound: boolean;
  /** BAD_USER_INPUT details, e.g. every invalid hyperparameter with its path. */
  problems: FieldProblem[];
  /** POLICY_VIOLATION: the policy findings that refused a run submitted without an override reason. */
  policyFindings: PolicyFinding[];
}

export interface PolicyFinding {
  id: string;
  title: string;
  rule: string;
  message: string;
}

export function summarizeApiError(error: unknown): ApiErrorSummary {
  if (CombinedGraphQLErrors.is(error)) {
    const codes = error.errors.map((e) => e.extensions?.code);
    const problems = error.errors.flatMap((e) => asProblems(e.extensions?.problems));
    return {
      message: error.errors.map((e) => e.message).join('; '),
      unauthenticated: codes.includes('UNAUTHENTICATED'),
      notFound: codes.includes('NOT_FOUND'),
      problems,
      policyFindings: error.errors.flatMap((e) => (e.extensions?.code === 'POLICY_VIOLATION' ? asPolicyFindings(e.extensions.findings) : [])),
    };
  }
  if (ServerError.is(error)) {
    const unauthenticated = error.statusCode === 401;
    return {
      message: unauthenticated ? 'Your session token is unknown or revoked.' : `The API answered ${error.statusCode}.`,
      unauthenticated,
      notFound: false,
      problems: [],
      policyFindings: [],
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  const unreachable = /fetch failed|Failed to fetch|ECONNREFUSED|NetworkError/i.test(message);
  return {
    // The browser's own request to this dashboard failed (the server's errors name the API's URL themselves).
    message: unreachable ? 'The dashboard cannot be reached. Is it still running?' : message,
    unauthenticated: false,
    notFound: false,
    problems: [],
    policyFindings: [],
  };
}

function asProblems(value: unknown): FieldProblem[] {
  if (!Array.isArray(value)) return [];
  return value.filter((p): p is FieldProblem => typeof p === 'object' && p !== null && typeof p.path === 'string' && typeof p.message === 'string');
}

function asPolicyFindings(value: unknown): PolicyFinding[] {
  if (!Array.isArray(value)) return [];
  return value.filter((f): f is PolicyFinding => typeof f === 'object' && f !== null && typeof f.id === 'string' && typeof f.title === 'string');
}
