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
const INDEX = /\[(\d+)\]/y;
const BARE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEX4 = /^[0-9A-Fa-f]{4}$/;
/** JSON's one-letter escapes; string literals also read `\x` as x for any other x, quoted keys do not. */
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * How a key is written at this place of a path, as packages/hparams/src/open/path-syntax.ts writes it (flat params are
 * keyed by that spelling): bare when it is an identifier (and, first, not a keyword), else a JSON string in brackets.
 */
export function formatPathKey(key: string, first: boolean): string {
  if (BARE_KEY.test(key) && !(first && KEYWORDS.has(key.toLowerCase()))) return first ? key : `.${key}`;
  return `[${JSON.stringify(key)}]`;
}

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

function matchGroup(re: RegExp, text: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(text)?.[1];
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
    // `["a.b"] = 1` starts with a quoted key; after `in`, a `[` opens the list of values (`x in ["a"]`).
    if (ch === '[' && this.text[start + 1] === '"' && !this.afterIn()) return this.path(start, start, '');
    for (const [symbol, token] of SYMBOLS) {
      if (this.text.startsWith(symbol, start)) {
        this.pos += symbol.length;
        // Not `{ ...token }`: spreading these differently-shaped bodies took ~10 µs a token (2 s for 200,000 "(").
        return Object.assign({ start, end: this.pos, text: symbol }, token);
      }
    }
    throw new LexError(`Unexpected character "${ch}" at ${describePosition(this.text, start)}`, start, start + ch.length);
  }

  private string(): Token {
    const start = this.pos;
    const { value, end } = this.quoted(start, 'string');
    this.pos = end;
    return { kind: 'string', value, start, end, text: this.text.slice(start, end) };
  }

  /**
   * The text of the quoted string that opens at `start`, and where it ends. A string literal takes either quote and
   * reads a backslash before any other character as that character; a quoted key in a path is a strict JSON string.
   */
  private quoted(start: number, kind: 'string' | 'key'): { value: string; end: number } {
    const quote = this.text[start];
    let value = '';
    let i = start + 1;
    for (;;) {
      const ch = this.text[i];
      if (ch === undefined) {
        const what = kind === 'key' ? 'quoted key' : 'string';
        const from = kind === 'key' ? start - 1 : start;
        throw new LexError(`Unterminated ${what} starting at ${describePosition(this.text, from)}`, from, this.text.length);
      }
      if (ch === quote) break;
      if (ch === '\\') {
        const escaped = this.text[i + 1];
        if (escaped === undefined) {
          i += 1; // reported as unterminated on the next turn
          continue;
        }
        if (escaped === 'u') {
          const hex = this.text.slice(i + 2, i + 6);
          if (!HEX4.test(hex)) {
            const shown = this.text.slice(i, i + 2 + (/^[0-9A-Fa-f]*/.exec(hex)?.[0].length ?? 0));
            throw new LexError(
              `Malformed escape "${shown}" at ${describePosition(this.text, i)}: \\u takes four hex digits, as in \\u00e9`,
              i,
              i + shown.length,
            );
          }
          value += String.fromCharCode(parseInt(hex, 16));
          i += 6;
          continue;
        }
        const known = ESCAPES[escaped];
        if (known === undefined && kind === 'key') {
          throw new LexError(
            `Malformed escape "\\${escaped}" at ${describePosition(this.text, i)}: a quoted key is a JSON string (escapes: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)`,
            i,
            i + 2,
          );
        }
        value += known ?? escaped;
        i += 2;
      } else {
        if (kind === 'key' && ch < ' ') {
          throw new LexError(
            `Control character at ${describePosition(this.text, i)} in a quoted key: write it as ${JSON.stringify(ch).slice(1, -1)}`,
            i,
            i + 1,
          );
        }
        value += ch;
        i += 1;
      }
    }
    return { value, end: i + 1 };
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
    return this.path(start, start + first.length, first);
  }

  private afterIn(): boolean {
    const previous = this.tokens[this.tokens.length - 1];
    return previous?.kind === 'keyword' && previous.keyword === 'in';
  }

  /**
   * The rest of a path from `at`, whose canonical spelling so far is `path` ('' when it starts here with a quoted
   * key): `.key`, `[3]` and `["any key"]` segments. The token's path is the canonical spelling (`a["b"]` is `a.b`),
   * the key under which a run's flat params hold the value.
   */
  private path(start: number, at: number, path: string): Token {
    let end = at;
    for (;;) {
      if (this.text[end] === '[') {
        const digits = matchGroup(INDEX, this.text, end);
        if (digits !== undefined) {
          path += `[${digits.replace(/^0+(?=\d)/, '')}]`;
          end += digits.length + 2;
          continue;
        }
        if (this.text[end + 1] !== '"') throw this.badBracket(start, end);
        const { value, end: close } = this.quoted(end + 1, 'key');
        if (this.text[close] !== ']') {
          throw new LexError(`Expected "]" to close the quoted key at ${describePosition(this.text, close)}`, close, Math.min(close + 1, this.text.length));
        }
        path += formatPathKey(value, path === '');
        end = close + 1;
        continue;
      }
      const segment = this.text[end] === '.' ? matchAt(SEGMENT, this.text, end + 1) : undefined;
      if (segment === undefined) break;
      path += `.${segment}`;
      end += 1 + segment.length;
    }
    if (IDENT_PART.test(this.text[end] ?? '') || this.text[end] === '.') throw this.invalidPath(start, end, '(use names like model.convLayers[0].stride)');
    this.pos = end;
    return { kind: 'path', path, start, end, text: this.text.slice(start, end) };
  }

  /** A `[` in a path that opens neither an index nor a quoted key. */
  private badBracket(start: number, at: number): LexError {
    const singleQuoted = this.text[at + 1] === "'" ? ' (quoted keys take double quotes)' : '';
    return this.invalidPath(
      start,
      at,
      `: expected a list index such as [0] or a quoted key such as ["a.b"] at ${describePosition(this.text, at + 1)}${singleQuoted}`,
    );
  }

  private invalidPath(start: number, at: number, detail: string): LexError {
    const rest = matchAt(/[^\s()=!<>~,&|]*/y, this.text, at) ?? '';
    const bad = this.text.slice(start, at + rest.length);
    const separator = detail.startsWith(':') ? '' : ' ';
    return new LexError(`"${bad}" at ${describePosition(this.text, start)} is not a valid field path${separator}${detail}`, start, start + bad.length);
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
