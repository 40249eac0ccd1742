import { describe, expect, it } from 'vitest';
import { configText, exampleConfig, shellWord } from './first-run-snippets';

describe('exampleConfig', () => {
  it('writes a value each declared path accepts, nested as the paths say', () => {
    const paths = [
      { path: 'optimizer.lr', type: 'float', min: 0.0001, max: 0.1 },
      { path: 'optimizer.name', type: 'string', categories: ['adamw', 'sgd'] },
      { path: 'epochs', type: 'integer', min: 1 },
      { path: 'scale', type: 'float', min: 2 },
      { path: 'layers[]', type: 'integer' },
    ];
    const config = exampleConfig(paths);
    expect(config).toEqual({ optimizer: { lr: 0.0001, name: 'adamw' }, epochs: 1, scale: 2 });
    // A whole float stays a float in the text the script is given.
    expect(configText(config, paths)).toContain('"scale": 2.0');
    expect(configText(config, paths)).toContain('"epochs": 1');
  });

  it('falls back to a small generic config when the schema has no paths yet', () => {
    expect(Object.keys(exampleConfig([]))).toContain('lr');
  });
});

describe('shellWord', () => {
  it('quotes names with spaces and quotes', () => {
    expect(shellWord('mnist-sweep')).toBe('mnist-sweep');
    expect(shellWord("Bob's run")).toBe("'Bob'\\''s run'");
  });
});
