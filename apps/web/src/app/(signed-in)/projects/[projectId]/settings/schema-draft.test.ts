import { describe, expect, it } from 'vitest';
import { checkSchemaDraft, sameDocument, switchConsequence } from './schema-draft';

describe('checkSchemaDraft', () => {
  it('lists the problems of an invalid document with their paths', () => {
    const result = checkSchemaDraft('{"type": "object", "properties": {"lr": {"type": "flot"}}}');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]).toMatchObject({ path: 'properties.lr.type', message: expect.stringContaining('"flot" is not allowed') });
  });

  it('names JSON syntax errors and duplicate keys', () => {
    const broken = checkSchemaDraft('{"type": "object",');
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.issues[0]!.message).toMatch(/^JSON: /);
    const duplicate = checkSchemaDraft('{"type": "object", "type": "object"}');
    expect(duplicate.ok).toBe(false);
  });

  it('asks for a document when the editor is empty', () => {
    const result = checkSchemaDraft('  ');
    expect(result.ok).toBe(false);
  });

  it('gives the typed paths of a valid document', () => {
    const result = checkSchemaDraft(
      '{"type": "object", "properties": {"lr": {"type": "number", "minimum": 0}, "layers": {"type": "array", "items": {"type": "integer"}}}}',
    );
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.paths.map((p) => `${p.path}:${p.type}`)).toEqual(['lr:float', 'layers[]:integer']);
  });
});

describe('sameDocument', () => {
  it('ignores key order', () => {
    expect(sameDocument({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 })).toBe(true);
    expect(sameDocument({ a: 1 }, { a: 2 })).toBe(false);
  });
});

describe('switchConsequence', () => {
  it('says what happens to stored runs', () => {
    expect(switchConsequence('INFERRED', 'BUILTIN', 3)).toContain('The 3 runs already logged keep their configs');
    expect(switchConsequence('DECLARED', 'INFERRED', 0)).toContain('its versions stay in the history');
  });
});
