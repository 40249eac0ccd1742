import { RUN_FIELDS, type Expr, type FieldRef, type FilterError, type LeafExpr, type Literal, type ParseResult, type RunFieldName, type Span } from './ast';
import { describePosition, tokenize, type Keyword, type Token } from './lexer';

/**
 * Bounds on one expression, so that no filter, rule or scope can exhaust the stack, the CPU or the database's
 * bind parameters. Real filters are far below them: a hand-written filter has a few tests and a handful of
 * parentheses; the long ones are generated `in` lists of run names or values.
 */
export const FILTER_LIMITS = {
  /** Characters of the whole expression: room for a 10,000-value list of numbers or ~5,000 quoted names. */
  maxLength: 200_000,
  /** Parentheses and `not` nested inside one another. */
  maxDepth: 32,
  /** Tests (`field op value`) joined by and/or. */
  maxTests: 1_000,
  /** Values of one `in [...]` list. */
  maxListValues: 10_000,
} as const;

const count = (n: number) => n.toLocaleString('en-US');

/**
 * Parses a filter expression. Precedence, tightest first: a test
 * (`field op value`), `not`, `and`, `or`; `and`/`or` associate to the left.
 * Empty or blank text parses to `null`, which matches every run.
 */
export function parseExpression(text: string): ParseResult {
  if (text.length > FILTER_LIMITS.maxLength) {
    return {
      ok: false,
      errors: [
        {
          message: `The expression is ${count(text.length)} characters long; the limit is ${count(FILTER_LIMITS.maxLength)}`,
          start: FILTER_LIMITS.maxLength,
          end: text.length,
        },
      ],
    };
  }
  const lexed = tokenize(text);
  if (!lexed.ok) return { ok: false, errors: [lexed.error] };
  try {
    return { ok: true, ast: new Parser(text, lexed.tokens).expression() };
  } catch (error) {
    if (error instanceof ParseError) return { ok: false, errors: [error.error] };
    throw error;
  }
}

class ParseError extends Error {
  constructor(readonly error: FilterError) {
    super(error.message);
  }
}

const RUN_FIELD_NAMES: ReadonlySet<string> = new Set(RUN_FIELDS);

class Parser {
  private index = 0;
  private lastEnd = 0;
  /** Open parentheses and `not`s around the current token; checked on the way down, before the stack grows. */
  private depth = 0;
  private tests = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  expression(): Expr | null {
    if (this.peek().kind === 'eof') return null;
    const expr = this.or();
    const next = this.peek();
    if (next.kind === 'punct' && next.punct === ')') this.fail(next, 'there is no matching "("');
    if (next.kind !== 'eof') this.fail(next, 'expected "and", "or" or the end of the expression');
    return expr;
  }

  private or(): Expr {
    return this.leftAssociative('or', () => this.and());
  }

  private and(): Expr {
    return this.leftAssociative('and', () => this.unary());
  }

  private leftAssociative(type: 'and' | 'or', operand: () => Expr): Expr {
    const start = this.peek().start;
    let left = operand();
    while (this.atKeyword(type)) {
      this.advance();
      const right = operand();
      left = { type, left, right, span: this.spanFrom(start) };
    }
    return left;
  }

  private unary(): Expr {
    if (this.atKeyword('not')) {
      const start = this.enter().start;
      const expr = this.unary();
      this.depth -= 1;
      return { type: 'not', expr, span: this.spanFrom(start) };
    }
    const open = this.peek();
    if (open.kind === 'punct' && open.punct === '(') {
      this.enter();
      const expr = this.or();
      const close = this.peek();
      if (close.kind !== 'punct' || close.punct !== ')') {
        this.fail(close, `expected "and", "or" or ")" to close the "(" at ${describePosition(this.text, open.start)}`);
      }
      this.advance();
      this.depth -= 1;
      return expr;
    }
    return this.test();
  }

  /** Consumes a "(" or "not", refusing one nesting level too many. */
  private enter(): Token {
    const token = this.peek();
    if (this.depth >= FILTER_LIMITS.maxDepth) {
      this.limit(token, 'Nested too deeply', `"(" and "not" may be nested at most ${FILTER_LIMITS.maxDepth} deep`);
    }
    this.depth += 1;
    return this.advance();
  }

  /** One test: `field op value`, `field [not] in [...]`, `field has "x"`, `field ~ "x"`. */
  private test(): LeafExpr {
    if (this.tests >= FILTER_LIMITS.maxTests) {
      this.limit(
        this.peek(),
        'Too many tests',
        `an expression may hold at most ${count(FILTER_LIMITS.maxTests)} tests (use "in [...]" for many values of one field)`,
      );
    }
    this.tests += 1;
    const fieldToken = this.advance();
    const field = this.field(fieldToken);
    const fieldSpan = spanOf(fieldToken);
    const opToken = this.advance();
    const start = fieldToken.start;

    if (opToken.kind === 'op' && opToken.op === '~') {
      const valueToken = this.advance();
      const value = this.quotedText(valueToken);
      return { type: 'contains', field, value, span: this.spanFrom(start), fieldSpan, opSpan: spanOf(opToken), valueSpan: spanOf(valueToken) };
    }
    if (opToken.kind === 'op') {
      const op = opToken.op as Exclude<typeof opToken.op, '~'>;
      const valueToken = this.advance();
      const value = this.literal(valueToken);
      return { type: 'compare', field, op, value, span: this.spanFrom(start), fieldSpan, opSpan: spanOf(opToken), valueSpan: spanOf(valueToken) };
    }
    if (opToken.kind === 'keyword' && opToken.keyword === 'has') {
      const valueToken = this.advance();
      const value = this.quotedText(valueToken);
      return { type: 'has', field, value, span: this.spanFrom(start), fieldSpan, opSpan: spanOf(opToken), valueSpan: spanOf(valueToken) };
    }
    let negated = false;
    let opSpan = spanOf(opToken);
    if (opToken.kind === 'keyword' && opToken.keyword === 'not') {
      const inToken = this.advance();
      if (inToken.kind !== 'keyword' || inToken.keyword !== 'in') {
        this.fail(inToken, 'expected "in" after "not" (to negate any other test, write not (…) around it)');
      }
      negated = true;
      opSpan = { start: opToken.start, end: inToken.end };
    } else if (opToken.kind !== 'keyword' || opToken.keyword !== 'in') {
      this.fail(opToken, 'expected an operator: =, !=, <, <=, >, >=, ~, in, not in or has');
    }
    const { values, valueSpans } = this.list();
    return { type: 'in', field, values, negated, span: this.spanFrom(start), fieldSpan, opSpan, valueSpans };
  }

  private field(token: Token): FieldRef {
    if (token.kind === 'metric') return { kind: 'metric', key: token.key, agg: token.agg };
    if (token.kind === 'path') {
      // Run fields are language words, so like keywords they ignore case; `["status"]` is the hyperparameter.
      const lower = token.path.toLowerCase();
      if (RUN_FIELD_NAMES.has(lower) && !token.text.startsWith('[')) return { kind: 'run', name: lower as RunFieldName };
      return { kind: 'param', path: token.path };
    }
    return this.fail(token, 'expected a field such as batchSize, status or max(test.accuracy)');
  }

  private literal(token: Token): Literal {
    if (token.kind === 'number' || token.kind === 'string') return token.value;
    if (token.kind === 'keyword' && (token.keyword === 'true' || token.keyword === 'false')) return token.keyword === 'true';
    if (token.kind === 'path') return this.fail(token, `expected a value (put text in quotes: "${token.path}")`);
    return this.fail(token, 'expected a value');
  }

  private quotedText(token: Token): string {
    if (token.kind === 'string') return token.value;
    if (token.kind === 'path') return this.fail(token, `expected text in quotes, such as "${token.path}"`);
    return this.fail(token, 'expected text in quotes');
  }

  private list(): { values: Literal[]; valueSpans: Span[] } {
    const open = this.advance();
    if (open.kind !== 'punct' || open.punct !== '[') this.fail(open, 'expected "[" to start a list of values');
    const values: Literal[] = [];
    const valueSpans: Span[] = [];
    for (;;) {
      const token = this.advance();
      if (values.length > 0 && token.kind === 'punct' && token.punct === ']') break; // trailing comma
      if (values.length >= FILTER_LIMITS.maxListValues) {
        this.limit(token, 'Too many values', `a list may hold at most ${count(FILTER_LIMITS.maxListValues)} values`);
      }
      values.push(this.literal(token));
      valueSpans.push(spanOf(token));
      const separator = this.advance();
      if (separator.kind === 'punct' && separator.punct === ']') break;
      if (separator.kind !== 'punct' || separator.punct !== ',') this.fail(separator, 'expected "," or "]"');
    }
    return { values, valueSpans };
  }

  private peek(): Token {
    // The lexer always ends the list with an eof token, which is never consumed.
    return this.tokens[this.index] ?? (this.tokens[this.tokens.length - 1] as Token);
  }

  private advance(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') {
      this.index += 1;
      this.lastEnd = token.end;
    }
    return token;
  }

  private atKeyword(keyword: Keyword): boolean {
    const token = this.peek();
    return token.kind === 'keyword' && token.keyword === keyword;
  }

  private spanFrom(start: number): Span {
    return { start, end: this.lastEnd };
  }

  private limit(token: Token, what: string, rule: string): never {
    throw new ParseError({
      message: `${what} at ${describePosition(this.text, token.start)}: ${rule}`,
      start: token.start,
      end: token.end,
    });
  }

  private fail(token: Token, expected: string): never {
    const what = token.kind === 'eof' ? 'end of expression' : token.kind === 'string' ? `text ${token.text}` : `"${token.text}"`;
    throw new ParseError({
      message: `Unexpected ${what} at ${describePosition(this.text, token.start)}: ${expected}`,
      start: token.start,
      end: token.end,
    });
  }
}

function spanOf(token: Token): Span {
  return { start: token.start, end: token.end };
}
