import type { Expr } from './ast';
import type { FieldDescription, Vocabulary } from './check';
import { parseExpression } from './parser';

/** A small stand-in for the hparams path vocabulary. */
const FIELDS: Record<string, FieldDescription> = {
  batchSize: { type: 'number' },
  'optimizer.learningRate': { type: 'number' },
  'optimizer.name': { type: 'string', values: ['sgd', 'momentum', 'adam', 'rmsprop'] },
  'model.kind': { type: 'string', values: ['mlp', 'cnn'] },
  'model.depth': { type: 'number' },
  'dataset.name': { type: 'string' },
  'training.shuffle': { type: 'boolean' },
  params: { type: 'number' },
};
const CONV_LAYER = /^model\.convLayers\[\d+\]\.(kernelSize|stride|filters)$/;
const HIDDEN_LAYER = /^model\.hiddenLayers\[\d+\]$/;

export const vocabulary: Vocabulary = {
  describe(path) {
    if (CONV_LAYER.test(path) || HIDDEN_LAYER.test(path)) return { type: 'number' };
    return FIELDS[path];
  },
  suggest(path) {
    return Object.keys(FIELDS).find((known) => known.toLowerCase() === path.toLowerCase());
  },
};

/** What users type in the filter bar; every part of the package must handle them. */
export const USER_EXAMPLES = [
  'batchSize <= 32 and optimizer.name = "adam" or tags has "baseline"',
  'optimizer.learningRate <= 3e-3',
  'model.convLayers[0].stride = 1',
  'dataset.name = "mnist" and model.kind = "cnn"',
  'status in ["succeeded", "diverged"] and not (tags has "broken")',
  'max(test.accuracy) > 0.9 and last(train.loss) < 0.2',
  'min("val loss") <= 0.1',
  'params < 1e6 and name ~ "sweep"',
];

/** Parses text that must be valid, failing the test with the parser's message otherwise. */
export function parse(text: string): Expr | null {
  const result = parseExpression(text);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(text)} to parse: ${result.errors[0]?.message}`);
  return result.ast;
}

/** The tree without source positions, to compare structure. */
export function shape(ast: Expr | null): unknown {
  return JSON.parse(JSON.stringify(ast), (key, value: unknown) => (key === 'span' || key.endsWith('Span') || key === 'valueSpans' ? undefined : value));
}
