// The console log panel's window onto a run's log: the tail first, earlier pages prepended ("load earlier", `last`
// lines `before` the first shown), later ones appended (polled while the run is RUNNING, `after` the last shown).
// Pure, so its paging is unit-tested.
export interface LogLine {
  seq: number;
  stream: 'STDOUT' | 'STDERR';
  text: string;
  time: string;
}

export interface LogPage {
  lines: readonly LogLine[];
  total: number;
  hasMore: boolean;
  hasEarlier: boolean;
}

export interface LogWindow {
  lines: readonly LogLine[];
  /** Lines matching the search in the whole log. */
  total: number;
  /** Matching lines follow the last one shown. */
  laterMore: boolean;
  /** Matching lines precede the first one shown. */
  earlierMore: boolean;
}

export const LOG_PAGE = 500;
/** The most lines the panel holds; past it, the far end is dropped (and can be paged in again). */
export const LOG_WINDOW_MAX = 10_000;

export function windowFromTail(page: LogPage): LogWindow {
  return { lines: page.lines, total: page.total, laterMore: page.hasMore, earlierMore: page.hasEarlier };
}

/** A later page appended (lines already shown are not repeated); the oldest dropped past the window's size. */
export function appendLater(window: LogWindow, page: LogPage): LogWindow {
  const last = lastSeq(window);
  const fresh = page.lines.filter((line) => last === null || line.seq > last);
  // A poll that found nothing new keeps the same window, so the page does not re-render every 2 s.
  if (fresh.length === 0 && page.total === window.total && page.hasMore === window.laterMore) return window;
  const lines = [...window.lines, ...fresh];
  const overflow = Math.max(0, lines.length - LOG_WINDOW_MAX);
  return { lines: lines.slice(overflow), total: page.total, laterMore: page.hasMore, earlierMore: window.earlierMore || overflow > 0 };
}

/** An earlier page prepended; the newest dropped past the window's size. */
export function prependEarlier(window: LogWindow, page: LogPage): LogWindow {
  const first = firstSeq(window);
  const fresh = page.lines.filter((line) => first === null || line.seq < first);
  const lines = [...fresh, ...window.lines];
  const overflow = Math.max(0, lines.length - LOG_WINDOW_MAX);
  return { lines: lines.slice(0, lines.length - overflow), total: page.total, laterMore: window.laterMore || overflow > 0, earlierMore: page.hasEarlier };
}

export function lastSeq(window: LogWindow): number | null {
  return window.lines.length > 0 ? window.lines[window.lines.length - 1]!.seq : null;
}

export function firstSeq(window: LogWindow): number | null {
  return window.lines.length > 0 ? window.lines[0]!.seq : null;
}
