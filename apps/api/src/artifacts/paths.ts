/**
 * Artifact paths are confined to their run: a path is a list of plain names, each checked here before any file
 * system call. MLflow's artifact server has had more than a dozen path-traversal CVEs (`..`, absolute paths,
 * backslashes, encoded dots, symlinks); every one of those shapes is refused by name, with the reason.
 */

export class ArtifactPathError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Invalid artifact path ${JSON.stringify(path)}: ${reason}`);
    this.name = 'ArtifactPathError';
  }
}

/** Longest name of one path segment, in bytes (common file systems' limit). */
const MAX_SEGMENT_BYTES = 255;
/** Deepest path accepted. */
const MAX_DEPTH = 64;
/** A %XX escape still present after one decoding: the path was percent-encoded twice (`%252e%252e`). */
const ESCAPE = /%[0-9a-f]{2}/i;

/** Names and checks one segment (already decoded), throwing why it is refused. */
function checkSegment(segment: string, path: string): void {
  if (segment === '') throw new ArtifactPathError(path, 'empty segments (a leading, trailing or doubled "/") are not allowed');
  if (segment === '.' || segment === '..') throw new ArtifactPathError(path, `"${segment}" segments are not allowed; artifact paths stay inside their run`);
  if (segment.includes('\0')) throw new ArtifactPathError(path, 'NUL characters are not allowed');
  if (segment.includes('\\')) throw new ArtifactPathError(path, 'backslashes are not allowed; separate directories with "/"');
  if (segment.includes('/')) throw new ArtifactPathError(path, 'an encoded "/" (%2F) is not allowed inside a name');
  if (ESCAPE.test(segment)) throw new ArtifactPathError(path, 'percent-encoded twice (a "%XX" escape remains after decoding); send each name encoded once');
  if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) throw new ArtifactPathError(path, `a name is longer than ${MAX_SEGMENT_BYTES} bytes`);
  // "C:" would be a drive on Windows; nothing legitimate needs it as a first segment.
  if (/^[a-z]:$/i.test(segment)) throw new ArtifactPathError(path, 'Windows drive names are not allowed');
}

/**
 * The segments of a relative artifact path given as plain text (a GraphQL argument, MLflow's `?path=` after the
 * query string's own decoding). `allowEmpty`: the empty path names the run's root directory (listing).
 */
export function artifactSegments(path: string, { allowEmpty = false } = {}): string[] {
  if (path === '') {
    if (allowEmpty) return [];
    throw new ArtifactPathError(path, 'the path is empty; name a file');
  }
  if (path.startsWith('/')) throw new ArtifactPathError(path, 'absolute paths are not allowed; give a path relative to the run');
  const segments = path.split('/');
  if (segments.length > MAX_DEPTH) throw new ArtifactPathError(path, `more than ${MAX_DEPTH} levels deep`);
  for (const segment of segments) checkSegment(segment, path);
  return segments;
}

/**
 * The segments of a path taken raw from a URL (still percent-encoded): split on "/" first, then each segment
 * decoded exactly once and checked, so `%2e%2e` is refused as `..` and `%2F` cannot smuggle a separator.
 */
export function artifactSegmentsFromUrl(rawPath: string): string[] {
  if (rawPath === '') throw new ArtifactPathError(rawPath, 'the path is empty; name a file');
  if (rawPath.startsWith('/')) throw new ArtifactPathError(rawPath, 'absolute paths are not allowed; give a path relative to the run');
  const raw = rawPath.split('/');
  if (raw.length > MAX_DEPTH) throw new ArtifactPathError(rawPath, `more than ${MAX_DEPTH} levels deep`);
  return raw.map((segment) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw new ArtifactPathError(rawPath, 'malformed percent-encoding');
    }
    checkSegment(decoded, rawPath);
    return decoded;
  });
}

/** Checks segments that did not come through one of the parsers above (the store checks every call). */
export function checkSegments(segments: readonly string[]): void {
  const path = segments.join('/');
  if (segments.length > MAX_DEPTH) throw new ArtifactPathError(path, `more than ${MAX_DEPTH} levels deep`);
  for (const segment of segments) checkSegment(segment, path);
}
