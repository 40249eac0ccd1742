import { describe, expect, it } from 'vitest';
import { toCsv } from './csv';

describe('toCsv', () => {
  it('quotes fields with commas, quotes and line breaks, and leaves missing values empty', () => {
    const csv = toCsv(
      ['name', 'tags', 'loss'],
      [
        ['run "a"', 'x,y', 0.5],
        ['multi\nline', null, Number.NaN],
        ['plain', undefined, true],
      ],
    );
    expect(csv).toBe('name,tags,loss\r\n"run ""a""","x,y",0.5\r\n"multi\nline",,NaN\r\nplain,,true\r\n');
  });

  it('#15 neutralises cells a spreadsheet would run as a formula, and keeps numbers numeric', () => {
    const csv = toCsv(
      ['=header', 'value'],
      [
        ['=HYPERLINK("http://evil.example","x")', -0.5],
        ["+cmd|' /C calc'!A0", 1e-3],
        ['-2+3', -1e-7],
        ['@SUM(A1:A2)', '-0.25'],
        ['\tlooks blank', '+4'],
        ['\r=1', '-Infinity'],
        ['a=b', Number.NEGATIVE_INFINITY],
      ],
    );
    expect(csv.split('\r\n')).toEqual([
      "'=header,value",
      `"'=HYPERLINK(""http://evil.example"",""x"")",-0.5`,
      "'+cmd|' /C calc'!A0,0.001",
      "'-2+3,-1e-7",
      "'@SUM(A1:A2),-0.25",
      "'\tlooks blank,+4",
      `"'\r=1",'-Infinity`,
      "a=b,'-Infinity",
      '',
    ]);
  });
});
