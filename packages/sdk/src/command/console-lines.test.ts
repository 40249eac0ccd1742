import { describe, expect, it } from 'vitest';
import { ConsoleLines, MAX_LINE_CHARS } from './console-lines';

const collect = (chunks: (string | Buffer)[]) => {
  const lines: string[] = [];
  const splitter = new ConsoleLines((line) => lines.push(line));
  for (const chunk of chunks) splitter.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  splitter.end();
  return lines;
};

describe('console lines', () => {
  it('splits on newlines across chunks and keeps a last line without one', () => {
    expect(collect(['a\nb', 'c\r\n', 'd'])).toEqual(['a', 'bc', 'd']);
  });

  it('decodes UTF-8 split across chunks', () => {
    const bytes = Buffer.from('学习率 λ\n');
    expect(collect([bytes.subarray(0, 2), bytes.subarray(2, 7), bytes.subarray(7)])).toEqual(['学习率 λ']);
  });

  it('keeps what a progress bar shows last, and replaces NUL', () => {
    expect(collect(['10%|#   |\r50%|##  |\r100%|####|\n', 'a\u0000b\n'])).toEqual(['100%|####|', 'a\uFFFDb']);
  });

  it('cuts lines longer than the API takes', () => {
    const lines = collect(['x'.repeat(MAX_LINE_CHARS * 2 + 5) + '\n']);
    expect(lines.map((l) => l.length)).toEqual([MAX_LINE_CHARS, MAX_LINE_CHARS, 5]);
    // Output that never ends a line is stored in pieces as it comes.
    const endless: string[] = [];
    const splitter = new ConsoleLines((line) => endless.push(line));
    for (let i = 0; i < 100; i++) splitter.write(Buffer.from('.'.repeat(1000)));
    expect(endless.length).toBeGreaterThan(0);
    expect(endless.every((l) => l.length === MAX_LINE_CHARS)).toBe(true);
  });
});
