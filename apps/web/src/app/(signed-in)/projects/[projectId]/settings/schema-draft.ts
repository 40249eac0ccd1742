// The declared-schema editor's check as you type: the text parsed as JSON (duplicate keys and syntax errors named),
// then compiled by @tuneboard/hparams' compileDeclaredSchema, the same validation the API runs on save.
import { compileDeclaredSchema, parseConfigText, plainOf, type DeclaredPath, type OpenIssue } from '@tuneboard/hparams';
import type { HparamSchemaKind } from '@/graphql/generated/graphql';

export type SchemaDraftCheck = { ok: true; document: Record<string, unknown>; paths: readonly DeclaredPath[] } | { ok: false; issues: readonly OpenIssue[] };

export function checkSchemaDraft(text: string): SchemaDraftCheck {
  if (text.trim() === '')
    return { ok: false, issues: [{ path: '', message: 'Write the JSON Schema document, e.g. {"type": "object", "properties": {"lr": {"type": "number"}}}' }] };
  const parsed = parseConfigText(text);
  if (!parsed.ok) return { ok: false, issues: parsed.issues.map((issue) => ({ path: issue.path, message: `JSON: ${issue.message}` })) };
  const document = plainOf(parsed.value);
  const compiled = compileDeclaredSchema(document);
  if (!compiled.ok) return { ok: false, issues: compiled.issues };
  return { ok: true, document: compiled.schema.document, paths: compiled.schema.paths };
}

/** A document as the editor shows it. */
export function documentText(document: unknown): string {
  return document == null ? '' : JSON.stringify(document, null, 2);
}

/** Whether two documents are the same JSON (key order aside), so saving an unchanged one is not offered. */
export function sameDocument(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

export const KIND_LABELS: Record<HparamSchemaKind, string> = { BUILTIN: 'Built-in', DECLARED: 'Declared', INFERRED: 'Inferred' };

export const KIND_EXPLANATIONS: Record<HparamSchemaKind, string> = {
  BUILTIN: "Tuneboard's own trainer configuration (MLP or CNN on the built-in datasets). Runs are submitted from the form and trained by Tuneboard's workers.",
  DECLARED:
    'A JSON Schema (draft 2020-12) your team writes. Runs come from your own scripts (tuneboard run or the SDK) and each config is validated against it; every change is a new version, and stored runs keep the version they were validated against.',
  INFERRED:
    "Any JSON config. Runs come from your own scripts (tuneboard run or the SDK); Tuneboard learns each path's type from the runs and warns when a run disagrees (2 is an integer, 2.0 a float).",
};

/** What switching kinds means for the project, said before it happens. */
export function switchConsequence(from: HparamSchemaKind, to: HparamSchemaKind, runCount: number): string {
  const runs = runCount === 1 ? '1 run' : `${runCount.toLocaleString('en-GB')} runs`;
  const kept = runCount > 0 ? ` The ${runs} already logged keep their configs as they are.` : '';
  if (to === 'BUILTIN')
    return `New runs must follow the built-in trainer's configuration and are trained by Tuneboard; configs of your own scripts are refused.${kept}`;
  if (to === 'INFERRED')
    return `New runs may log any JSON config; ${from === 'DECLARED' ? 'the declared schema stops validating them (its versions stay in the history)' : 'Tuneboard stops training them: your scripts log them'}.${kept}`;
  return `Every new run's config must pass the JSON Schema in the editor below; runs that do not are refused.${kept}`;
}
