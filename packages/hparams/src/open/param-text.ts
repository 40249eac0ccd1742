import type { TypedLeaf } from './types';

// Hyperparameters that arrive as text (MLflow's params, which its clients send as `str(value)`): typed as an
// inferred schema reads them, so `"32"` filters as the integer 32 and `"2.0"` stays a float.

const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?$/;

/** `32` integer, `0.001` and `2.0` float, `True`/`false` boolean (Python writes `True`), anything else the string itself. */
export function inferParamText(text: string): TypedLeaf {
  const trimmed = text.trim();
  if (INTEGER.test(trimmed)) {
    const value = Number(trimmed);
    if (Number.isSafeInteger(value)) return { type: 'integer', value: value === 0 ? 0 : value };
    return { type: 'float', value };
  }
  if (FLOAT.test(trimmed)) {
    const value = Number(trimmed);
    if (Number.isFinite(value)) return { type: 'float', value };
  }
  const lower = trimmed.toLowerCase();
  if (lower === 'true') return { type: 'boolean', value: true };
  if (lower === 'false') return { type: 'boolean', value: false };
  return { type: 'string', value: text };
}

/** A typed leaf as JSON text that keeps its type when read back: a whole float is written `2.0`, not `2`. */
export function typedLeafJson(leaf: TypedLeaf): string {
  if (leaf.type === 'float' && Number.isInteger(leaf.value)) return leaf.value.toFixed(1);
  return JSON.stringify(leaf.value);
}
