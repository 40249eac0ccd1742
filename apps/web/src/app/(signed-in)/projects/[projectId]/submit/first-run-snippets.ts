// The "log your first run" page's snippets for a project Tuneboard does not train: a config.json written from the
// project's schema, the `tuneboard run` command, the JSON-lines metrics a script prints, and the SDK.
import { parseOpenPath } from '@tuneboard/hparams';

export interface SnippetPath {
  path: string;
  type: string;
  min?: number | null;
  max?: number | null;
  categories?: readonly string[] | null;
}

const FALLBACK_CONFIG = { lr: 0.001, batch_size: 32, optimizer: 'adamw', layers: 4 };

/** An example config in the project's own paths (a value each path accepts), or a small generic one. */
export function exampleConfig(paths: readonly SnippetPath[]): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  let filled = 0;
  for (const entry of paths) {
    const parsed = parseOpenPath(entry.path);
    // List items (`layers[]`) have no single place in an example; their list is left out.
    if (!parsed.ok || parsed.segments.length === 0 || entry.path.includes('[')) continue;
    const segments = parsed.segments as string[];
    let node = config;
    for (const key of segments.slice(0, -1)) {
      const next = node[key];
      node = (typeof next === 'object' && next !== null ? next : (node[key] = {})) as Record<string, unknown>;
    }
    node[segments[segments.length - 1]!] = exampleValue(entry);
    filled++;
  }
  return filled > 0 ? config : { ...FALLBACK_CONFIG };
}

function exampleValue(entry: SnippetPath): unknown {
  if (entry.categories && entry.categories.length > 0) return entry.type === 'string' ? entry.categories[0] : JSON.parse(entry.categories[0]!);
  switch (entry.type) {
    case 'integer':
      return Math.round(entry.min ?? entry.max ?? 1);
    case 'float':
      return entry.min ?? entry.max ?? 0.001;
    case 'boolean':
      return false;
    case 'string':
      return '';
    default:
      return null;
  }
}

/** JSON text keeping whole floats written as floats (`2.0`), so the example logs the types the schema has. */
export function configText(config: Record<string, unknown>, paths: readonly SnippetPath[]): string {
  const floats = new Set(paths.filter((p) => p.type === 'float').map((p) => p.path));
  const FLOAT_MARK = '@@tuneboard-float@@';
  const marked = JSON.stringify(
    config,
    function (this: unknown, key, value) {
      if (typeof value !== 'number' || !Number.isInteger(value)) return value;
      const path = pathOf(this, key, config);
      return path !== undefined && floats.has(path) ? `${FLOAT_MARK}${value}` : value;
    },
    2,
  );
  return marked.replace(new RegExp(`"${FLOAT_MARK}(-?\\d+)"`, 'g'), '$1.0');
}

/** The dotted path of `key` inside `holder`, found by walking the config (examples are small). */
function pathOf(holder: unknown, key: string, root: Record<string, unknown>): string | undefined {
  const walk = (node: unknown, prefix: string): string | undefined => {
    if (node === holder) return prefix ? `${prefix}.${key}` : key;
    if (typeof node !== 'object' || node === null) return undefined;
    for (const [child, value] of Object.entries(node)) {
      const found = walk(value, prefix ? `${prefix}.${child}` : child);
      if (found) return found;
    }
    return undefined;
  };
  return walk(root, '');
}

/** A shell word for the project name (quoted when it has spaces or shell characters). */
export function shellWord(text: string): string {
  return /^[\w.@/-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
