/** An error answered by the Tuneboard API (or the transport to it). */
export class TuneboardError extends Error {
  override name = 'TuneboardError';
  constructor(
    message: string,
    /** The GraphQL error code (BAD_USER_INPUT, NOT_FOUND, UNAUTHENTICATED, …) or NETWORK / HTTP_<status>. */
    readonly code: string,
    /** For BAD_USER_INPUT: every problem with its path. */
    readonly problems: readonly { path: string; message: string }[] = [],
    /** Whether sending the same request again may succeed (network trouble, overload). */
    readonly retryable = false,
  ) {
    super(message);
  }
}
