// The console log panel's window onto a run's log: the last lines (grown backwards by "load earlier"), with the
// lines after it appended as they are polled or paged in. Pure, so its paging arithmetic is unit-tested.
export interface LogLine {
  seq: number;
  stream: 'STDOUT' | 'STDERR';
  text: string;
  time: string;
}

export interface LogWindow {
  lines: readonly LogLine[];
  /** Lines matching the search in the whole log. */
  total: number;
  /** The API said more lines follow the last one shown (a later page to load). */
  laterMore: boolean;
}

export const LOG_PAGE = 500;
/** The most lines the panel holds; beyond it, search or read the log from the API. */
export const LOG_WINDOW_MAX = 20_000;

/** The window from a `last: N` answer: everything up to now, so nothing later is pending. */
export function windowFromTail(page: { lines: readonly LogLine[]; total: number }): LogWindow {
  return { lines: page.lines, total: page.total, laterMore: false };
}

/** The window with an `after: lastSeq` page appended (lines already shown are not repeated). */
export function appendLater(window: LogWindow, page: { lines: readonly LogLine[]; total: number; hasMore: boolean }): LogWindow {
  const last = lastSeq(window);
  const fresh = page.lines.filter((line) => last === null || line.seq > last);
  const lines = fresh.length > 0 ? [...window.lines, ...fresh] : window.lines;
  return { lines: lines.length > LOG_WINDOW_MAX ? lines.slice(lines.length - LOG_WINDOW_MAX) : lines, total: page.total, laterMore: page.hasMore };
}

export function lastSeq(window: LogWindow): number | null {
  return window.lines.length > 0 ? window.lines[window.lines.length - 1]!.seq : null;
}

/**
 * Matching lines before the first one shown: the log's total less what is shown (an upper bound while later
 * lines are still to be paged in, which happens only when more than a page arrived between two polls).
 */
export function earlierCount(window: LogWindow): number {
  return Math.max(0, window.total - window.lines.length);
}

/** How many last lines to ask for to show `LOG_PAGE` more earlier ones. */
export function grownTail(window: LogWindow): number {
  return Math.min(LOG_WINDOW_MAX, window.lines.length + LOG_PAGE);
}
