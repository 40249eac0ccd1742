import { compileFilter } from '@tuneboard/filter';
import { describePath, suggestPath } from '@tuneboard/hparams';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PATHS } from '../../test/builtin-paths';
import { closestPath, formatParamValue, schemaVocabulary } from './project-schema';

describe('schemaVocabulary', () => {
  const inferred = schemaVocabulary({
    kind: 'INFERRED',
    paths: [
      { path: 'lr', type: 'float' },
      { path: 'model.layers[].heads', type: 'integer' },
      { path: 'optimizer', type: 'string' },
      { path: 'notes', type: 'null' },
    ],
  });

  it('accepts the project paths, with any list index, and refuses the built-in ones', () => {
    expect(compileFilter('lr <= 0.01 and model.layers[3].heads = 8 and optimizer = "adamw"', inferred).ok).toBe(true);
    const builtin = compileFilter('batchSize <= 32', inferred);
    expect(builtin.ok).toBe(false);
  });

  it('suggests the nearest project path for a typo', () => {
    const result = compileFilter('optimiser = "adam"', inferred);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]!.message).toContain('did you mean "optimizer"?');
  });

  it('type-checks against the learned type', () => {
    expect(compileFilter('optimizer > 3', inferred).ok).toBe(false);
  });

  it("reads a built-in project's paths from the table the API sends, answering as @tuneboard/hparams does", () => {
    const fromTable = schemaVocabulary({ kind: 'BUILTIN', paths: BUILTIN_PATHS });
    const fromSchema = { describe: describePath, suggest: suggestPath };
    for (const text of [
      'batchSize <= 32 and optimizer.name = "adam"',
      'optimizer.name = "adma"',
      'learingRate < 0.1',
      'model.convLayers[2].kernalSize = 3',
      'model.convLayers[7].stride >= 2 and params > 1e5',
      'optimizer.beta1 > 0.9 and dataset.name = "mnist"',
      'batchSize = "32"',
    ])
      expect(compileFilter(text, fromTable), text).toEqual(compileFilter(text, fromSchema));
    expect(compileFilter('optimizer.name = "adma"', fromTable).ok).toBe(false);
    expect(schemaVocabulary(undefined)).toBeUndefined();
  });
});

describe('formatParamValue', () => {
  it('keeps a whole float a float', () => {
    expect(formatParamValue(2, 'float')).toBe('2.0');
    expect(formatParamValue(2, 'integer')).toBe('2');
    expect(formatParamValue(0.0003, 'float')).toBe('0.0003');
    expect(formatParamValue(true, 'boolean')).toBe('true');
    expect(formatParamValue(null, 'null')).toBe('null');
    expect(formatParamValue(undefined)).toBe('');
  });
});

describe('closestPath', () => {
  it('finds a near miss and nothing for a different word', () => {
    expect(closestPath('Lerning_rate', ['learning_rate', 'seed'])).toBe('learning_rate');
    expect(closestPath('dropout', ['learning_rate', 'seed'])).toBeUndefined();
  });
});
