import { describe, expect, it } from 'vitest';
import { parseMetricsLine } from './metrics-line';

describe('metrics lines', () => {
  it('reads a JSON object of numbers, with an optional step', () => {
    expect(parseMetricsLine('{"step": 10, "train/loss": 0.31, "lr": 3e-4}')).toEqual({
      kind: 'metrics',
      metrics: { step: 10, values: { 'train/loss': 0.31, lr: 3e-4 } },
    });
    expect(parseMetricsLine('  {"loss": 1}  ')).toEqual({ kind: 'metrics', metrics: { step: undefined, values: { loss: 1 } } });
  });

  it("reads Python's bare NaN and Infinity", () => {
    const result = parseMetricsLine('{"step": 3, "loss": NaN, "grad": Infinity, "x": -Infinity}');
    expect(result).toEqual({ kind: 'metrics', metrics: { step: 3, values: { loss: NaN, grad: Infinity, x: -Infinity } } });
  });

  it('leaves ordinary output and structured logs alone', () => {
    for (const line of [
      'epoch 1 done',
      '{"event": "checkpoint", "path": "/tmp/x"}',
      '{"loss": [1, 2]}',
      '[1, 2]',
      '{}',
      '{"step": 1}',
      '{broken',
      '{"a": "NaN"}',
    ])
      expect(parseMetricsLine(line), line).toEqual(
        line === '{"a": "NaN"}' ? { kind: 'metrics', metrics: { step: undefined, values: { a: NaN } } } : { kind: 'text' },
      );
  });

  it('explains a metrics line it cannot take', () => {
    expect(parseMetricsLine('{"step": -1, "loss": 1}')).toEqual({ kind: 'invalid', message: '"step" must be a whole number from 0 to 2147483647, not -1' });
    expect(parseMetricsLine('{"step": 1.5, "loss": 1}')).toMatchObject({ kind: 'invalid' });
    expect(parseMetricsLine(`{"${'k'.repeat(300)}": 1}`)).toMatchObject({ kind: 'invalid', message: expect.stringContaining('characters; the limit is') });
  });
});
