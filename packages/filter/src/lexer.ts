import type { CompareOp, FilterError, MetricAggregate } from './ast';

export type Keyword = 'and' | 'or' | 'not' | 'in' | 'has' | 'true' | 'false';

type TokenBody =
  | { kind: 'path'; path: string }
  | { kind: 'metric'; agg: MetricAggregate; key: string }
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'keyword'; keyword: Keyword }
  | { kind: 'op'; op: CompareOp | '~' }
  | { kind: 'punct'; punct: '(' | ')' | '[' | ']' | ',' }
  | { kind: 'eof' };

export type Token = { start: number; end: number; text: string } & TokenBody;

export type LexResult = { ok: true; tokens: Token[] } | { ok: false; error: FilterError };

const KEYWORDS: ReadonlySet<string> = new Set<Keyword>(['and', 'or', 'not', 'in', 'has', 'true', 'false']);
const AGGREGATES: ReadonlySet<string> = new Set<MetricAggregate>(['last', 'min', 'max']);

/** Longest first, so `<=` wins over `<`. `&&`, `||`, `!` and `==` are synonyms. */
const SYMBOLS: ReadonlyArray<readonly [string, TokenBody]> = [
  ['<=', { kind: 'op', op: '<=' }],
  ['>=', { kind: 'op', op: '>=' }],
  ['!=', { kind: 'op', op: '!=' }],
  ['==', { kind: 'op', op: '=' }],
  ['&&', { kind: 'keyword', keyword: 'and' }],
  ['||', { kind: 'keyword', keyword: 'or' }],
  ['<', { kind: 'op', op: '<' }],
  ['>', { kind: 'op', op: '>' }],
  ['=', { kind: 'op', op: '=' }],
  ['~', { kind: 'op', op: '~' }],
  ['!', { kind: 'keyword', keyword: 'not' }],
  ['(', { kind: 'punct', punct: '(' }],
  [')', { kind: 'punct', punct: ')' }],
  ['[', { kind: 'punct', punct: '[' }],
  [']', { kind: 'punct', punct: ']' }],
  [',', { kind: 'punct', punct: ',' }],
];

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const METRIC_KEY = /[A-Za-z0-9_./-]+/y;
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const NUMBER_TAIL = /[A-Za-z0-9_.]+/y;
const SEGMENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const INDEX = /\[\d+\]/y;

/** "column 12", or "line 2, column 3" when the expression spans lines. */
export function describePosition(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  const column = offset - lineStart + 1;
  if (!text.includes('\n')) return `column ${column}`;
  const line = before.split('\n').length;
  return `line ${line}, column ${column}`;
}

class LexError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
  }
}

function matchAt(re: RegExp, text: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(text)?.[0];
}

export function tokenize(text: string): LexResult {
  try {
    return { ok: true, tokens: new Lexer(text).run() };
  } catch (error) {
    if (error instanceof LexError) {
      return { ok: false, error: { message: error.message, start: error.start, end: error.end } };
    }
    throw error;
  }
}

class Lexer {
  private pos = 0;
  private readonly tokens: Token[] = [];

  constructor(private readonly text: string) {}

  run(): Token[] {
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.text.length) break;
      this.tokens.push(this.next());
    }
    this.tokens.push({ kind: 'eof', start: this.text.length, end: this.text.length, text: '' });
    return this.tokens;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  private next(): Token {
    const start = this.pos;
    const ch = this.text[start] ?? '';
    if (ch === '"' || ch === "'") return this.string();
    if (/[0-9.]/.test(ch) || (ch === '-' && /[0-9.]/.test(this.text[start + 1] ?? ''))) return this.number();
    if (IDENT_START.test(ch)) return this.word();
    for (const [symbol, token] of SYMBOLS) {
      if (this.text.startsWith(symbol, start)) {
        this.pos += symbol.length;
        return { ...token, start, end: this.pos, text: symbol };
      }
    }
    throw new LexError(`Unexpected character "${ch}" at ${describePosition(this.text, start)}`, start, start + ch.length);
  }

  private string(): Token {
    const start = this.pos;
    const quote = this.text[start];
    let value = '';
    let i = start + 1;
    for (;;) {
      const ch = this.text[i];
      if (ch === undefined) {
        throw new LexError(`Unterminated string starting at ${describePosition(this.text, start)}`, start, this.text.length);
      }
      if (ch === quote) break;
      if (ch === '\\') {
        const escaped = this.text[i + 1];
        if (escaped === undefined) {
          i += 1; // reported as unterminated on the next turn
          continue;
        }
        value += escaped === 'n' ? '\n' : escaped === 't' ? '\t' : escaped === 'r' ? '\r' : escaped;
        i += 2;
      } else {
        value += ch;
        i += 1;
      }
    }
    this.pos = i + 1;
    return { kind: 'string', value, start, end: this.pos, text: this.text.slice(start, this.pos) };
  }

  private number(): Token {
    const start = this.pos;
    const literal = matchAt(NUMBER, this.text, start) ?? '';
    const tail = matchAt(NUMBER_TAIL, this.text, start + literal.length) ?? '';
    const text = this.text.slice(start, start + literal.length + tail.length);
    if (literal === '' || tail !== '') {
      throw new LexError(`Malformed number "${text}" at ${describePosition(this.text, start)}`, start, start + text.length);
    }
    const value = Number(literal);
    if (!Number.isFinite(value)) {
      throw new LexError(`Number "${text}" at ${describePosition(this.text, start)} is too large`, start, start + text.length);
    }
    this.pos = start + text.length;
    // -0 would not survive formatting; it means the same as 0 here.
    return { kind: 'number', value: value === 0 ? 0 : value, start, end: this.pos, text };
  }

  /** A keyword, a metric aggregate `max(KEY)`, or a hyperparameter path such as `model.convLayers[0].stride`. */
  private word(): Token {
    const start = this.pos;
    const first = matchAt(SEGMENT, this.text, start) ?? '';
    const lower = first.toLowerCase();
    if (KEYWORDS.has(lower)) {
      this.pos = start + first.length;
      return { kind: 'keyword', keyword: lower as Keyword, start, end: this.pos, text: first };
    }
    if (AGGREGATES.has(lower)) {
      const open = this.skipSpaceFrom(start + first.length);
      if (this.text[open] === '(') return this.metric(start, lower as MetricAggregate, open);
    }
    let end = start + first.length;
    for (;;) {
      const index = matchAt(INDEX, this.text, end);
      if (index !== undefined) {
        end += index.length;
        continue;
      }
      const segment = this.text[end] === '.' ? matchAt(SEGMENT, this.text, end + 1) : undefined;
      if (segment === undefined) break;
      end += 1 + segment.length;
    }
    if (IDENT_PART.test(this.text[end] ?? '') || this.text[end] === '.' || this.text[end] === '[') {
      const rest = matchAt(/[^\s()=!<>~,&|]*/y, this.text, end) ?? '';
      const bad = this.text.slice(start, end + rest.length);
      throw new LexError(
        `"${bad}" at ${describePosition(this.text, start)} is not a valid field path (use names like model.convLayers[0].stride)`,
        start,
        start + bad.length,
      );
    }
    this.pos = end;
    const path = this.text.slice(start, end);
    return { kind: 'path', path, start, end, text: path };
  }

  private metric(start: number, agg: MetricAggregate, open: number): Token {
    const keyStart = this.skipSpaceFrom(open + 1);
    let key: string;
    let keyEnd: number;
    const quote = this.text[keyStart];
    if (quote === '"' || quote === "'") {
      this.pos = keyStart;
      const token = this.string();
      key = token.kind === 'string' ? token.value : '';
      keyEnd = token.end;
    } else {
      key = matchAt(METRIC_KEY, this.text, keyStart) ?? '';
      keyEnd = keyStart + key.length;
    }
    const where = describePosition(this.text, keyStart);
    if (key === '') {
      throw new LexError(`Expected a metric key such as train.loss after "${agg}(" at ${where}`, keyStart, Math.max(keyEnd, keyStart + 1));
    }
    const close = this.skipSpaceFrom(keyEnd);
    if (this.text[close] !== ')') {
      throw new LexError(`Expected ")" to close "${agg}(" at ${describePosition(this.text, close)}`, close, Math.min(close + 1, this.text.length));
    }
    this.pos = close + 1;
    return { kind: 'metric', agg, key, start, end: this.pos, text: this.text.slice(start, this.pos) };
  }

  private skipSpaceFrom(at: number): number {
    let i = at;
    while (i < this.text.length && /\s/.test(this.text[i] ?? '')) i++;
    return i;
  }
}
