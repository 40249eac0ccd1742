// How a path through any JSON config is written. A key that is a plain ASCII
// identifier is written bare (`optimizer.lr`); any other key is written as a
// JSON string in brackets (`metrics["a.b"]`, `["学习率"]`, `["in"]`), and list
// indices as `[3]`. One spelling per path, so paths can be compared as text.
// Bare keys follow the filter lexer's segment rule (packages/filter/src/lexer.ts).

export type PathSegment = string | number;

const BARE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The filter language reads these as keywords when they start an expression (case-insensitively). */
const FILTER_WORDS: ReadonlySet<string> = new Set(['and', 'or', 'not', 'in', 'has', 'true', 'false']);

/** Whether `key` can be written without brackets at this position of a path. */
export function isBareKey(key: string, first: boolean): boolean {
  return BARE_KEY.test(key) && !(first && FILTER_WORDS.has(key.toLowerCase()));
}

/** One segment as it appears in a path; `first` for the segment that starts the path. */
export function formatSegment(segment: PathSegment, first: boolean): string {
  if (typeof segment === 'number') return `[${segment}]`;
  if (isBareKey(segment, first)) return first ? segment : `.${segment}`;
  return `[${JSON.stringify(segment)}]`;
}

/** ['model', 'layers', 3, 'heads'] → 'model.layers[3].heads'; [] → '' (the config itself). */
export function formatOpenPath(segments: readonly PathSegment[]): string {
  return segments.map((segment, i) => formatSegment(segment, i === 0)).join('');
}

/** The same path with every index written `[]` (`model.layers[].heads`): one entry for all layers. */
export function formatOpenPattern(segments: readonly PathSegment[]): string {
  return segments.map((segment, i) => (typeof segment === 'number' ? '[]' : formatSegment(segment, i === 0))).join('');
}

export type ParsePathResult = { ok: true; segments: PathSegment[] } | { ok: false; message: string };

/**
 * The segments of a path. Accepts the canonical spelling and also bracketed keys
 * that did not need brackets (`a["b"]` is `a.b`), so `formatOpenPath` gives the canonical one.
 */
export function parseOpenPath(path: string): ParsePathResult {
  const segments: PathSegment[] = [];
  let i = 0;
  const fail = (what: string): ParsePathResult => ({
    ok: false,
    message: `${JSON.stringify(path)} is not a valid path: ${what} at character ${i + 1}`,
  });
  while (i < path.length) {
    const ch = path[i];
    if (ch === '[') {
      if (path[i + 1] === '"') {
        const end = closingQuote(path, i + 2);
        if (end < 0) return fail('unterminated quoted key');
        let key: unknown;
        try {
          key = JSON.parse(path.slice(i + 1, end + 1));
        } catch {
          return fail('malformed quoted key');
        }
        if (path[end + 1] !== ']') return fail('expected "]" after the quoted key');
        segments.push(key as string);
        i = end + 2;
        continue;
      }
      const index = /^\[(0|[1-9]\d*)\]/.exec(path.slice(i));
      if (!index?.[1] || !Number.isSafeInteger(Number(index[1]))) return fail('expected a list index like [3] or a quoted key like ["a.b"]');
      segments.push(Number(index[1]));
      i += index[0].length;
      continue;
    }
    if (segments.length > 0) {
      if (ch !== '.') return fail('expected "." or "["');
      i += 1;
    }
    const key = /^[A-Za-z_][A-Za-z0-9_]*/.exec(path.slice(i))?.[0];
    if (!key) return fail('expected a key (letters, digits and _, or quoted as ["…"])');
    segments.push(key);
    i += key.length;
  }
  return { ok: true, segments };
}

/** The canonical spelling of a path, or undefined when it does not parse. */
export function canonicalOpenPath(path: string): string | undefined {
  const parsed = parseOpenPath(path);
  return parsed.ok ? formatOpenPath(parsed.segments) : undefined;
}

/** The value at `path` in a nested config (own keys only), or undefined. */
export function openValueAt(config: unknown, path: string): unknown {
  const parsed = parseOpenPath(path);
  if (!parsed.ok) return undefined;
  let value = config;
  for (const segment of parsed.segments) {
    if (typeof segment === 'number' ? !Array.isArray(value) : typeof value !== 'object' || value === null || Array.isArray(value)) {
      return undefined;
    }
    if (!Object.hasOwn(value as object, segment)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

/** Index of the `"` that closes a JSON string whose body starts at `from`, or -1. */
function closingQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

/** Sets an own property, even one named `__proto__`. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  // Plain assignment is what engines make fast (a 200-path config sets thousands of keys); only `__proto__` has an
  // inherited setter, which would replace the prototype instead of creating the key.
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
