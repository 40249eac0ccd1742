import { describe, expect, it } from 'vitest';
import { inferParamText, typedLeafJson } from './param-text';
import { readConfigText } from './flatten';

describe('hyperparameters given as text (MLflow params)', () => {
  it('types them as an inferred schema reads them', () => {
    expect(inferParamText('32')).toEqual({ type: 'integer', value: 32 });
    expect(inferParamText('-0')).toEqual({ type: 'integer', value: 0 });
    expect(inferParamText('2.0')).toEqual({ type: 'float', value: 2 });
    expect(inferParamText('3e-4')).toEqual({ type: 'float', value: 3e-4 });
    expect(inferParamText('.5')).toEqual({ type: 'float', value: 0.5 });
    expect(inferParamText('True')).toEqual({ type: 'boolean', value: true });
    expect(inferParamText('false')).toEqual({ type: 'boolean', value: false });
    expect(inferParamText('12345678901234567890')).toEqual({ type: 'float', value: Number('12345678901234567890') });
    for (const text of ['adam', 'None', 'nan', '1e999', '[64, 32]', '0x10', '']) expect(inferParamText(text)).toEqual({ type: 'string', value: text });
  });

  it('writes them back as JSON text that keeps the type', () => {
    for (const text of ['32', '2.0', '3e-4', 'True', 'adam', '1e21', '-7']) {
      const leaf = inferParamText(text);
      const read = readConfigText(`{"x": ${typedLeafJson(leaf)}}`);
      expect(read.ok && read.flat.x).toEqual(leaf);
    }
  });
});
