// Where sign-in may send the browser afterwards: a path on this site, never another origin. Browsers read
// `/\evil.example` and `/<tab>/evil.example` as `//evil.example` (they drop tabs and line breaks and treat a
// backslash as a slash), so those are refused before the path is parsed as a URL, as a browser would.
const PLACEHOLDER_ORIGIN = 'http://placeholder.invalid';
export const DEFAULT_NEXT_PATH = '/projects';

/** `next` is whatever the query string held: missing, repeated (an array) or any text. */
export function safeNextPath(next: unknown, fallback = DEFAULT_NEXT_PATH): string {
  if (typeof next !== 'string' || next === '') return fallback;
  // Control characters (tab, CR, LF among them), backslashes and anything but a single leading slash.
  if (/[\u0000-\u001f\u007f\\]/.test(next) || !next.startsWith('/') || next.startsWith('//')) return fallback;
  let url: URL;
  try {
    url = new URL(next, PLACEHOLDER_ORIGIN);
  } catch {
    return fallback;
  }
  if (url.origin !== PLACEHOLDER_ORIGIN) return fallback;
  // Normalising can make a protocol-relative URL out of a harmless-looking path (`/.//evil.example/`,
  // `/a/..//evil.example` → `//evil.example`): what is returned must pass the same test as what came in.
  const path = url.pathname + url.search + url.hash;
  return path.startsWith('//') || path.includes('\\') ? fallback : path;
}
