import { describe, expect, it } from 'vitest';
import { appendLater, firstSeq, lastSeq, LOG_WINDOW_MAX, prependEarlier, windowFromTail, type LogLine, type LogPage } from './run-log-window';

const line = (seq: number, stream: LogLine['stream'] = 'STDOUT'): LogLine => ({ seq, stream, text: `line ${seq}`, time: '2026-12-01T00:00:00Z' });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => line(from + i));
const page = (lines: LogLine[], total: number, more: Partial<Pick<LogPage, 'hasMore' | 'hasEarlier'>> = {}): LogPage => ({
  lines,
  total,
  hasMore: more.hasMore ?? false,
  hasEarlier: more.hasEarlier ?? false,
});

describe('the console log window', () => {
  it('prepends an earlier page before the tail, once', () => {
    const tail = windowFromTail(page(range(500, 999), 1000, { hasEarlier: true }));
    expect(tail.earlierMore).toBe(true);
    const grown = prependEarlier(tail, page(range(0, 500), 1000));
    expect(firstSeq(grown)).toBe(0);
    expect(grown.lines).toHaveLength(1000);
    expect(grown.earlierMore).toBe(false);
  });

  it('appends later lines once, and remembers when more follow', () => {
    const window = windowFromTail(page(range(0, 2), 3));
    const later = appendLater(window, page([line(2), line(3, 'STDERR')], 4, { hasMore: true }));
    expect(later.lines.map((l) => l.seq)).toEqual([0, 1, 2, 3]);
    expect(lastSeq(later)).toBe(3);
    expect(later.laterMore).toBe(true);
    expect(appendLater(later, page([line(4)], 5)).laterMore).toBe(false);
    const settled = appendLater(later, page([line(4)], 5));
    expect(appendLater(settled, page([], 5))).toBe(settled);
  });

  it('drops the far end past its size, and offers to page it in again', () => {
    const full = windowFromTail(page(range(1, LOG_WINDOW_MAX), LOG_WINDOW_MAX));
    const moved = appendLater(full, page(range(LOG_WINDOW_MAX + 1, LOG_WINDOW_MAX + 10), LOG_WINDOW_MAX + 10));
    expect(moved.lines).toHaveLength(LOG_WINDOW_MAX);
    expect(firstSeq(moved)).toBe(11);
    expect(moved.earlierMore).toBe(true);
    const back = prependEarlier(moved, page(range(1, 10), LOG_WINDOW_MAX + 10));
    expect(lastSeq(back)).toBe(LOG_WINDOW_MAX);
    expect(back.laterMore).toBe(true);
  });

  it('starts from nothing when the log is empty', () => {
    const window = windowFromTail(page([], 0));
    expect(lastSeq(window)).toBeNull();
    expect(appendLater(window, page([line(0)], 1)).lines).toHaveLength(1);
  });
});
