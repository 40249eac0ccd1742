// RFC 4180 CSV: fields with a comma, quote or line break are quoted, quotes doubled, lines end in CRLF.
// Cells a spreadsheet would run as a formula (OWASP "CSV injection": a leading =, +, -, @, tab or carriage
// return) get a leading apostrophe, so a run name or tag cannot call HYPERLINK or DDE in whoever opens the
// export. Numbers stay numbers: -0.5 or -1e-3 is a value, not a formula.
export type CsvCell = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;
const NUMBER_LITERAL = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

function csvField(cell: CsvCell): string {
  if (cell === null || cell === undefined) return '';
  const text = neutralizeFormula(String(cell));
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function neutralizeFormula(text: string): string {
  return FORMULA_START.test(text) && !NUMBER_LITERAL.test(text) ? `'${text}` : text;
}
