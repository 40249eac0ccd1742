import { compileFilter } from '@tuneboard/filter';
import { describe, expect, it } from 'vitest';
import { schemaVocabulary } from '@/lib/project-schema';
import { pathFilter, valuesSummary } from './path-filter';

const vocabulary = schemaVocabulary({
  kind: 'INFERRED',
  paths: [
    { path: 'lr', type: 'float' },
    { path: 'optimizer', type: 'string' },
    { path: 'note', type: 'string' },
    { path: 'amp', type: 'boolean' },
    { path: 'status', type: 'string' },
  ],
});

describe('pathFilter', () => {
  it('writes filters the filter language accepts for the project', () => {
    const filters = [
      pathFilter({ path: 'lr', type: 'float', min: 0.0001, max: 0.1 }),
      pathFilter({ path: 'optimizer', type: 'string', categories: ['adam', 'sgd'] }),
      pathFilter({ path: 'note', type: 'string' }),
      pathFilter({ path: 'amp', type: 'boolean' }),
      pathFilter({ path: 'status', type: 'string', categories: ['a'] }),
    ];
    expect(filters).toEqual(['lr >= 0.0001 and lr <= 0.1', 'optimizer in ["adam", "sgd"]', 'note ~ ""', 'amp = true or amp = false', '["status"] in ["a"]']);
    for (const filter of filters) expect(compileFilter(filter!, vocabulary).ok, filter).toBe(true);
  });

  it('has none for list items and null paths', () => {
    expect(pathFilter({ path: 'layers[].width', type: 'integer', min: 1, max: 2 })).toBeUndefined();
    expect(pathFilter({ path: 'x', type: 'null' })).toBeUndefined();
  });
});

describe('valuesSummary', () => {
  it('reads ranges as their type and lists categories', () => {
    expect(valuesSummary({ path: 'scale', type: 'float', min: 1, max: 2 })).toBe('1.0 – 2.0');
    expect(valuesSummary({ path: 'seed', type: 'integer', min: 7, max: 7 })).toBe('7');
    expect(valuesSummary({ path: 'opt', type: 'string', categories: ['adam', 'sgd'] })).toBe('adam, sgd');
    expect(valuesSummary({ path: 'x', type: 'string' })).toBe('');
  });
});
