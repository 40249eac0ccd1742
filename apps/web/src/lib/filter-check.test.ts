import { describe, expect, it } from 'vitest';
import { BUILTIN_PATHS } from '../../test/builtin-paths';
import { checkFilterText as checkWith } from './filter-check';
import { schemaVocabulary } from './project-schema';

const checkFilterText = (text: string) => checkWith(text, schemaVocabulary({ kind: 'BUILTIN', paths: BUILTIN_PATHS }));

describe('the filter bar check', () => {
  it('accepts the language the API accepts', () => {
    expect(checkFilterText('batchSize <= 32 and optimizer.name = "adam" or tags has "baseline"')).toEqual([]);
    expect(checkFilterText('   ')).toEqual([]);
  });

  it('suggests the known path and underlines the mistyped one', () => {
    const [error, ...rest] = checkFilterText('epochs > 1 and batchsize <= 32');
    expect(rest).toEqual([]);
    expect(error!.message).toContain('did you mean "batchSize"?');
    expect(error!.line.slice(error!.column, error!.column + error!.width)).toBe('batchsize');
  });

  it('places errors on the right line of a multi-line filter', () => {
    const [error] = checkFilterText('epochs > 1\nand optimizer.name = "adamw"');
    expect(error!.line).toBe('and optimizer.name = "adamw"');
    expect(error!.line.slice(error!.column, error!.column + error!.width)).toBe('"adamw"');
  });

  it('checks only the syntax while the schema loads', () => {
    expect(checkWith('batchsize <= 32', undefined)).toEqual([]);
    expect(checkWith('batchSize <=', undefined)).toHaveLength(1);
  });

  it('reports a syntax error at the end of the text', () => {
    const [error] = checkFilterText('batchSize <=');
    expect(error!.column).toBe('batchSize <='.length);
    expect(error!.width).toBe(1);
  });
});
