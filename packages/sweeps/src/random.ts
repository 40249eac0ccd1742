// The random method, and the prior every model-based suggestion starts from: each active path drawn independently,
// log-scaled ranges uniformly in log space.
import type { Rng } from './rng';
import { isActive, orderedPaths, type Configuration, type ParamSpec, type Scalar, type SearchSpace } from './space';

export function randomValue(spec: ParamSpec, rng: Rng): Scalar {
  switch (spec.type) {
    case 'fixed':
      return spec.value;
    case 'categorical':
      return spec.values[rng.int(spec.values.length)]!;
    case 'float':
      return spec.log ? Math.exp(Math.log(spec.low) + rng.next() * (Math.log(spec.high) - Math.log(spec.low))) : spec.low + rng.next() * (spec.high - spec.low);
    case 'int': {
      // Each integer equally likely (or, log-scaled, each integer's share of the log range).
      const [a, b] = spec.log ? [Math.log(spec.low - 0.5), Math.log(spec.high + 0.5)] : [spec.low - 0.5, spec.high + 0.5];
      const x = a + rng.next() * (b - a);
      return Math.min(spec.high, Math.max(spec.low, Math.round(spec.log ? Math.exp(x) : x)));
    }
  }
}

/** A configuration drawn from the space: conditional paths only where their condition holds. */
export function randomConfiguration(
  space: SearchSpace,
  rng: Rng,
  draw: (path: string, spec: ParamSpec, chosen: Configuration) => Scalar = (_p, spec) => randomValue(spec, rng),
): Configuration {
  const chosen: Configuration = {};
  for (const path of orderedPaths(space) ?? []) {
    const spec = space[path]!;
    if (isActive(spec, chosen)) chosen[path] = draw(path, spec, chosen);
  }
  return chosen;
}
