// Command-line overrides of a config (`--set optimizer.lr=3e-4`), applied to the typed tree so a float written
// `2.0` in a file or on the command line is still a float in the text sent to the API.
import { formatOpenPath, parseOpenPath, setOwn, type PathSegment } from './path-syntax';
import { JsonNumber, parseConfigText, type TypedJson } from './typed-json';
import type { OpenIssue } from './types';

/** JSON text of a typed config, every number written as it was read (`2.0` stays `2.0`). */
export function stringifyTypedJson(value: TypedJson): string {
  if (value instanceof JsonNumber) return value.text;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stringifyTypedJson).join(',')}]`;
  return `{${Object.entries(value)
    .map(([key, child]) => `${JSON.stringify(key)}:${stringifyTypedJson(child)}`)
    .join(',')}}`;
}

/**
 * The value of `key=value` as typed JSON: a JSON literal when the text is one (`3e-4`, `2.0`, `true`, `[1,2]`,
 * `"42"`), otherwise the text as a string (`adamw`), as Hydra and most CLIs read overrides.
 */
export function overrideValue(text: string): TypedJson {
  const parsed = parseConfigText(text);
  return parsed.ok ? parsed.value : text;
}

/**
 * Applies `path=value` overrides to a config object (a new tree; the input is not changed). Missing objects on the
 * way are created; list items are addressed as `layers[0]`. Every bad override is reported with its index.
 */
export function applyOverrides(config: TypedJson, overrides: readonly string[]): { ok: true; value: TypedJson } | { ok: false; issues: OpenIssue[] } {
  const issues: OpenIssue[] = [];
  if (typeof config !== 'object' || config === null || Array.isArray(config) || config instanceof JsonNumber)
    return { ok: false, issues: [{ path: '', message: 'The config must be a JSON object' }] };
  const root = structuredCloneTyped(config) as { [key: string]: TypedJson };
  overrides.forEach((override, index) => {
    const eq = override.indexOf('=');
    const where = `--set #${index + 1} (${override})`;
    if (eq <= 0) return issues.push({ path: '', message: `${where}: write it as path=value, e.g. optimizer.lr=3e-4` });
    const parsed = parseOpenPath(override.slice(0, eq));
    if (!parsed.ok) return issues.push({ path: '', message: `${where}: ${parsed.message}` });
    const problem = setAt(root, parsed.segments, overrideValue(override.slice(eq + 1)));
    if (problem) issues.push({ path: formatOpenPath(parsed.segments), message: `${where}: ${problem}` });
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: root };
}

function setAt(root: { [key: string]: TypedJson }, segments: readonly PathSegment[], value: TypedJson): string | undefined {
  let node: TypedJson = root;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    if (typeof segment === 'number') {
      if (!Array.isArray(node)) return `${formatOpenPath(segments.slice(0, i)) || 'the config'} is not a list`;
      if (segment > node.length) return `index ${segment} is past the end of the list (${node.length} items)`;
      if (last) node[segment] = value;
      else node = node[segment] ??= nextContainer(segments[i + 1]!);
    } else {
      if (typeof node !== 'object' || node === null || Array.isArray(node) || node instanceof JsonNumber)
        return `${formatOpenPath(segments.slice(0, i))} is not an object`;
      const object = node as { [key: string]: TypedJson };
      if (last) setOwn(object, segment, value);
      else {
        if (!Object.hasOwn(object, segment)) setOwn(object, segment, nextContainer(segments[i + 1]!));
        node = object[segment]!;
      }
    }
  }
  return undefined;
}

const nextContainer = (next: PathSegment): TypedJson => (typeof next === 'number' ? [] : {});

function structuredCloneTyped(value: TypedJson): TypedJson {
  if (value instanceof JsonNumber || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(structuredCloneTyped);
  const copy: { [key: string]: TypedJson } = {};
  for (const [key, child] of Object.entries(value)) setOwn(copy, key, structuredCloneTyped(child));
  return copy;
}
