// JSON that remembers how each number was written. `JSON.parse('2.0')` gives 2,
// and with it goes the fact that the user wrote a float; here `2.0`, `0.5` and
// `1e-3` are floats and `2` and `-3` are integers. Hand-written (JSON's grammar
// is small) so that errors name the config path and every duplicate key or
// out-of-range number is reported, not only the first.
import { formatOpenPath, setOwn, type PathSegment } from './path-syntax';
import type { OpenIssue, TypedLeaf } from './types';

/** A number together with how it was written. */
export class JsonNumber {
  constructor(
    readonly type: 'integer' | 'float',
    readonly value: number,
    /** The literal as written (`2.0`, `1e-3`). */
    readonly text: string,
  ) {
    Object.freeze(this);
  }

  toJSON(): number {
    return this.value;
  }
}

/** A parsed config: plain objects, arrays, strings, booleans and null, with every number a `JsonNumber`. */
export type TypedJson = JsonNumber | string | boolean | null | TypedJson[] | { [key: string]: TypedJson };

export type ParseConfigResult = { ok: true; value: TypedJson } | { ok: false; issues: OpenIssue[] };

/** Deeper than any config, shallow enough that the recursion cannot overflow the stack. */
const MAX_PARSE_DEPTH = 256;

/**
 * Parses JSON text keeping integer vs float. Integers beyond ±(2^53 − 1) cannot be held exactly and are refused,
 * as are duplicate keys (JSON.parse would silently keep the last). A syntax error stops parsing; the other
 * problems are all collected.
 */
export function parseConfigText(text: string): ParseConfigResult {
  const { value, issues } = parseCollecting(text);
  return issues.length > 0 || value === undefined ? { ok: false, issues } : { ok: true, value };
}

/** The value (unless the syntax is broken) and the problems found on the way, for callers that add their own. */
export function parseCollecting(text: string): { value: TypedJson | undefined; issues: OpenIssue[] } {
  const parser = new Parser(text);
  try {
    const value = parser.document();
    return { value, issues: parser.issues };
  } catch (error) {
    if (error instanceof SyntaxProblem) return { value: undefined, issues: [...parser.issues, error.issue] };
    throw error;
  }
}

/**
 * The typed leaf of a value that was already parsed (no text to look at): a whole number is an integer and any
 * other finite number a float. That is the best one can do — `2.0` that went through JSON.parse is 2, an integer.
 * Whole numbers beyond ±(2^53 − 1) are floats (they are not exact). Undefined for lists, objects and non-JSON values.
 */
export function typedValueOf(value: unknown): TypedLeaf | undefined {
  if (value instanceof JsonNumber) return { type: value.type, value: value.value };
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) return undefined;
      return Number.isSafeInteger(value) ? { type: 'integer', value: value === 0 ? 0 : value } : { type: 'float', value };
    case 'string':
      return { type: 'string', value };
    case 'boolean':
      return { type: 'boolean', value };
    default:
      return value === null ? { type: 'null', value: null } : undefined;
  }
}

/** The same config with plain numbers (for storing, or for validators that read plain JSON). */
export function plainOf(value: unknown): unknown {
  if (value instanceof JsonNumber) return value.value;
  if (Array.isArray(value)) return value.map(plainOf);
  if (typeof value === 'object' && value !== null) {
    const plain: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) setOwn(plain, key, plainOf(child));
    return plain;
  }
  return value;
}

class SyntaxProblem extends Error {
  constructor(readonly issue: OpenIssue) {
    super(issue.message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const PLAIN_STRING = /[^"\\\u0000-\u001f]*/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class Parser {
  readonly issues: OpenIssue[] = [];
  private pos = 0;
  private depth = 0;
  private readonly segments: PathSegment[] = [];

  constructor(private readonly text: string) {
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1; // a byte-order mark some editors write
  }

  document(): TypedJson {
    this.space();
    if (this.pos >= this.text.length) this.fail('the text is empty; expected a JSON object such as {"lr": 0.001}');
    const value = this.value();
    this.space();
    if (this.pos < this.text.length) this.fail('unexpected text after the end of the JSON value');
    return value;
  }

  private value(): TypedJson {
    const ch = this.text[this.pos];
    if (ch === '{') return this.object();
    if (ch === '[') return this.array();
    if (ch === '"') return this.string();
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return this.number();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    if (ch === undefined) this.fail('the text ends where a value was expected');
    if (ch === "'") this.fail('strings must use double quotes');
    return this.fail(`expected a value (object, list, string, number, true, false or null), found ${describeChar(ch)}`);
  }

  private object(): TypedJson {
    this.enter();
    this.pos++;
    const result: Record<string, TypedJson> = {};
    const seenAt = new Map<string, number>();
    this.space();
    if (this.text[this.pos] === '}') {
      this.pos++;
      this.depth--;
      return result;
    }
    for (;;) {
      this.space();
      if (this.text[this.pos] !== '"') {
        this.fail(this.text[this.pos] === '}' ? 'a comma before "}" is not allowed in JSON' : 'expected a key in double quotes');
      }
      const keyAt = this.pos;
      const key = this.string();
      this.space();
      if (this.text[this.pos] !== ':') this.fail(`expected ":" after the key ${JSON.stringify(key)}`);
      this.pos++;
      this.space();
      this.segments.push(key);
      const value = this.value();
      const first = seenAt.get(key);
      if (first !== undefined) {
        this.issues.push({
          path: formatOpenPath(this.segments),
          message: `${formatOpenPath(this.segments)} is given twice (${this.where(first)} and ${this.where(keyAt)}); keep one`,
        });
      } else {
        seenAt.set(key, keyAt);
        setOwn(result, key, value);
      }
      this.segments.pop();
      this.space();
      const next = this.text[this.pos];
      this.pos++;
      if (next === '}') break;
      if (next !== ',') {
        this.pos--;
        this.fail(`expected "," or "}" after ${formatOpenPath([...this.segments, key])}`);
      }
    }
    this.depth--;
    return result;
  }

  private array(): TypedJson {
    this.enter();
    this.pos++;
    const result: TypedJson[] = [];
    this.space();
    if (this.text[this.pos] === ']') {
      this.pos++;
      this.depth--;
      return result;
    }
    for (;;) {
      this.space();
      if (this.text[this.pos] === ']') this.fail('a comma before "]" is not allowed in JSON');
      this.segments.push(result.length);
      result.push(this.value());
      this.segments.pop();
      this.space();
      const next = this.text[this.pos];
      this.pos++;
      if (next === ']') break;
      if (next !== ',') {
        this.pos--;
        this.fail(`expected "," or "]" after ${formatOpenPath([...this.segments, result.length - 1])}`);
      }
    }
    this.depth--;
    return result;
  }

  /** Counts open containers; object() and array() count themselves out. */
  private enter(): void {
    if (this.depth >= MAX_PARSE_DEPTH) this.fail(`the JSON is nested more than ${MAX_PARSE_DEPTH} levels deep`);
    this.depth++;
  }

  private string(): string {
    const start = this.pos;
    this.pos++;
    let value = '';
    for (;;) {
      PLAIN_STRING.lastIndex = this.pos;
      const plain = PLAIN_STRING.exec(this.text)?.[0] ?? '';
      value += plain;
      this.pos += plain.length;
      const ch = this.text[this.pos];
      if (ch === '"') {
        this.pos++;
        return value;
      }
      if (ch === undefined) {
        this.pos = start;
        this.fail('unterminated string');
      }
      if (ch === '\\') {
        const escape = this.text[this.pos + 1] ?? '';
        if (escape === 'u') {
          const hex = this.text.slice(this.pos + 2, this.pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('\\u must be followed by four hex digits');
          value += String.fromCharCode(Number.parseInt(hex, 16));
          this.pos += 6;
        } else if (escape in ESCAPES) {
          value += ESCAPES[escape];
          this.pos += 2;
        } else {
          this.fail(`unknown escape \\${escape}`);
        }
        continue;
      }
      this.fail('control characters (such as a raw line break) must be escaped inside strings');
    }
  }

  private number(): JsonNumber {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match) this.fail('malformed number');
    const literal = match![0];
    const next = this.text[this.pos + literal.length];
    if (next !== undefined && /[0-9A-Za-z.+-]/.test(next))
      this.fail(`malformed number ${JSON.stringify(this.text.slice(this.pos, this.pos + literal.length + 1))}`);
    this.pos += literal.length;
    const value = Number(literal);
    const path = formatOpenPath(this.segments);
    const label = path === '' ? 'The number' : path;
    const isFloat = match![1] !== undefined || match![2] !== undefined;
    if (!Number.isFinite(value)) {
      this.issues.push({ path, message: `${label} ${literal} is too large for a 64-bit float` });
    } else if (!isFloat && !Number.isSafeInteger(value)) {
      this.issues.push({
        path,
        message: `${label} ${literal} is beyond the largest exact integer (±${Number.MAX_SAFE_INTEGER}); write it as a string, or as a float (${value.toExponential()})`,
      });
    }
    return new JsonNumber(isFloat ? 'float' : 'integer', value === 0 ? 0 : value, literal);
  }

  private space(): void {
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos];
      if (ch !== ' ' && ch !== '\t' && ch !== '\n' && ch !== '\r') return;
      this.pos++;
    }
  }

  private where(offset: number): string {
    const before = this.text.slice(0, offset);
    const line = before.split('\n').length;
    return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
  }

  private fail(what: string): never {
    const path = formatOpenPath(this.segments);
    const at = this.where(this.pos);
    throw new SyntaxProblem({ path, message: `Invalid JSON at ${at}${path === '' ? '' : ` (in ${path})`}: ${what}` });
  }
}

function describeChar(ch: string): string {
  return /\s/.test(ch) ? `a ${ch === '\u00a0' ? 'non-breaking space' : 'whitespace character'}` : JSON.stringify(ch);
}
