import { describe, expect, it } from 'vitest';
import { appendLater, earlierCount, grownTail, lastSeq, windowFromTail, type LogLine } from './run-log-window';

const line = (seq: number, stream: LogLine['stream'] = 'STDOUT'): LogLine => ({ seq, stream, text: `line ${seq}`, time: '2026-12-01T00:00:00Z' });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => line(from + i));

describe('the console log window', () => {
  it('knows how many earlier lines the tail leaves out, and grows by a page', () => {
    const window = windowFromTail({ lines: range(501, 1000), total: 1000 });
    expect(earlierCount(window)).toBe(500);
    expect(grownTail(window)).toBe(1000);
    expect(earlierCount(windowFromTail({ lines: range(1, 20), total: 20 }))).toBe(0);
  });

  it('appends later lines once, and remembers when more follow', () => {
    const window = windowFromTail({ lines: range(1, 3), total: 3 });
    const later = appendLater(window, { lines: [line(3), line(4, 'STDERR')], total: 4, hasMore: true });
    expect(later.lines.map((l) => l.seq)).toEqual([1, 2, 3, 4]);
    expect(lastSeq(later)).toBe(4);
    expect(later.laterMore).toBe(true);
    const done = appendLater(later, { lines: [line(5)], total: 5, hasMore: false });
    expect(done.lines).toHaveLength(5);
    expect(earlierCount(done)).toBe(0);
  });

  it('starts from nothing when the log is empty', () => {
    const window = windowFromTail({ lines: [], total: 0 });
    expect(lastSeq(window)).toBeNull();
    expect(appendLater(window, { lines: [line(1)], total: 1, hasMore: false }).lines).toHaveLength(1);
  });
});
