import { describe, expect, it } from 'vitest';
import { checkExpression, compileFilter } from './check';
import { parse, USER_EXAMPLES, vocabulary } from './test-support';

function errorsOf(text: string) {
  return checkExpression(parse(text), vocabulary);
}

describe('well-typed expressions', () => {
  it.each([
    ...USER_EXAMPLES,
    'model.convLayers[3].kernelSize in [3, 5]',
    'model.hiddenLayers[1] > 64',
    'model.kind ~ "CN"',
    'training.shuffle = false',
    'backend = "wasm" or device ~ "gpu"',
    'max(test.accuracy) in [1, 0]',
    '',
  ])('accepts %j', (text) => {
    expect(errorsOf(text)).toEqual([]);
  });
});

describe('type errors point at the offending token', () => {
  it.each([
    ['batchsize <= 32', 'Unknown hyperparameter "batchsize" — did you mean "batchSize"?', 0, 9],
    ['model.width = 3', 'Unknown hyperparameter "model.width"', 0, 11],
    ['optimizer.learningRate = "fast"', 'optimizer.learningRate is a number; "fast" is a string', 25, 31],
    ['batchSize in [16, "32"]', 'batchSize is a number; "32" is a string', 18, 22],
    ['model.kind = "rnn"', 'model.kind must be one of "mlp", "cnn"; got "rnn"', 13, 18],
    ['optimizer.name != "Adam"', 'optimizer.name must be one of "sgd", "momentum", "adam", "rmsprop"; got "Adam"', 18, 24],
    ['status = "done"', 'status must be one of "queued", "running", "succeeded", "failed", "cancelled", "diverged", "lost", "pruned"; got "done"', 9, 15],
    ['dataset.name = 3', 'dataset.name is a string; 3 is a number', 15, 16],
    ['training.shuffle = "yes"', 'training.shuffle is a boolean; "yes" is a string', 19, 24],
    ['batchSize has "x"', '"has" only applies to tags', 10, 13],
    ['dataset.name < "m"', '"<" needs a number; dataset.name is a string', 13, 14],
    ['training.shuffle >= 1', '">=" needs a number; training.shuffle is a boolean', 17, 19],
    ['status > "failed"', '">" needs a number; status is a string', 7, 8],
    ['batchSize ~ "3"', '"~" needs text; batchSize is a number', 10, 11],
    ['max(test.accuracy) > "high"', 'max(test.accuracy) is a number; "high" is a string', 21, 27],
    ['last("val loss") = true', 'last("val loss") is a number; true is a boolean', 19, 23],
    ['min(train.loss) ~ "1"', '"~" needs text; min(train.loss) is a number', 16, 17],
    ['tags = "baseline"', 'tags is a list of labels; test it with has, e.g. tags has "baseline"', 5, 6],
    ['tags not in ["a"]', 'tags is a list of labels; test it with has, e.g. tags has "baseline"', 5, 11],
    ['tags ~ "base"', 'tags is a list of labels; test it with has, e.g. tags has "baseline"', 5, 6],
  ])('%j → %s', (text, message, start, end) => {
    expect(errorsOf(text)).toEqual([{ message, start, end }]);
  });

  it('reports every faulty test, in source order', () => {
    expect(errorsOf('batchsize = 1 or (model.kind = "rnn" and not status = "ok")').map((e) => e.start)).toEqual([0, 31, 54]);
  });

  it('reports each bad value of a list', () => {
    expect(errorsOf('batchSize in [16, "32", true]')).toEqual([
      { message: 'batchSize is a number; "32" is a string', start: 18, end: 22 },
      { message: 'batchSize is a number; true is a boolean', start: 24, end: 28 },
    ]);
  });

  it('does without a suggest function', () => {
    const describeOnly = { describe: vocabulary.describe };
    expect(checkExpression(parse('batchsize = 1'), describeOnly)).toEqual([{ message: 'Unknown hyperparameter "batchsize"', start: 0, end: 9 }]);
  });
});

describe('compileFilter', () => {
  it('returns the tree when the text parses and checks', () => {
    const result = compileFilter('batchSize <= 32', vocabulary);
    expect(result).toMatchObject({ ok: true, ast: { type: 'compare', value: 32 } });
  });

  it('returns syntax errors before checking', () => {
    expect(compileFilter('batchsize <<', vocabulary)).toEqual({
      ok: false,
      errors: [{ message: 'Unexpected "<" at column 12: expected a value', start: 11, end: 12 }],
    });
  });

  it('returns type errors', () => {
    expect(compileFilter('model.kind = "rnn"', vocabulary)).toEqual({
      ok: false,
      errors: [{ message: 'model.kind must be one of "mlp", "cnn"; got "rnn"', start: 13, end: 18 }],
    });
  });

  it('matches everything on empty text', () => {
    expect(compileFilter('  ', vocabulary)).toEqual({ ok: true, ast: null });
  });
});
