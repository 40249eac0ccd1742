import { describe, expect, it } from 'vitest';
import { toCsv } from './csv';

describe('toCsv', () => {
  it('quotes fields with commas, quotes and line breaks, and leaves missing values empty', () => {
    const csv = toCsv(['name', 'tags', 'loss'], [
      ['run "a"', 'x,y', 0.5],
      ['multi\nline', null, Number.NaN],
      ['plain', undefined, true],
    ]);
    expect(csv).toBe('name,tags,loss\r\n"run ""a""","x,y",0.5\r\n"multi\nline",,NaN\r\nplain,,true\r\n');
  });
});
