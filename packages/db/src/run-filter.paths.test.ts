import { formatField, parseExpression } from '@tuneboard/filter';
import { canonicalOpenPath, formatOpenPath, type PathSegment } from '@tuneboard/hparams';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/*
 * runFilterSql and evaluate look a hyperparameter up in a run's flat params under the path the filter parser
 * gives, and flat params are keyed by @tuneboard/hparams' canonical spelling (path-syntax.ts). The filter
 * package re-implements that spelling to stay free of dependencies; here both must agree.
 */

/** The hyperparameter path the filter reads from `text`, or the error message. */
function filterPath(text: string): string {
  const parsed = parseExpression(`${text} = 1`);
  if (!parsed.ok) return `error: ${parsed.errors[0]?.message}`;
  const ast = parsed.ast;
  return ast?.type === 'compare' && ast.field.kind === 'param' ? ast.field.path : `not a hyperparameter: ${JSON.stringify(ast)}`;
}

/** Every key bracketed, needed or not: a spelling both sides accept and must bring to the canonical one. */
const bracketed = (segments: readonly PathSegment[]) => segments.map((s) => `[${JSON.stringify(s)}]`).join('');

const keyArb = fc.oneof(
  fc.constantFrom('a', 'lr', 'in', 'IN', 'True', 'status', 'Name', 'max', '_x9', '3', '', 'a.b', 'a b', 'x"y', "it's", 'a]b', '[0]', '学习率', 'é', '😀', '\\'),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
const segmentsArb = fc.tuple(keyArb, fc.array(fc.oneof(keyArb, fc.nat({ max: 20 })), { maxLength: 4 })).map(([first, rest]) => [first, ...rest]);

describe('filter paths and the hparams path vocabulary', () => {
  it.each([
    'optimizer.lr',
    'model.layers[3].heads',
    'metrics["a.b"]',
    '["学习率"]',
    '["3"]',
    '[""]',
    '["in"].x',
    '["True"]',
    'a["b"]',
    '["a"]["b"][0]',
    'x["\\u00e9"]',
    'x["\\"\'].\\\\"]',
  ])('%s: the filter reads the canonical path', (text) => {
    expect(filterPath(text)).toBe(canonicalOpenPath(text));
  });

  it('agree on generated paths, written canonically or with every key bracketed', () => {
    fc.assert(
      fc.property(segmentsArb, (segments) => {
        const canonical = formatOpenPath(segments);
        // formatField writes a path named like a run field (`status`) quoted, so it stays a hyperparameter.
        expect(filterPath(formatField({ kind: 'param', path: canonical }))).toBe(canonical);
        expect(filterPath(bracketed(segments))).toBe(canonical);
        expect(canonicalOpenPath(bracketed(segments))).toBe(canonical);
      }),
      { seed: 20261201, numRuns: 2_000 },
    );
  });
});
