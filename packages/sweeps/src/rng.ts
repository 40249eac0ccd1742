// A small seeded generator, so a sweep's random and TPE suggestions are reproducible from its seed (Math.random is
// not seedable). sfc32 seeded through splitmix32: fast, 128 bits of state, passes PractRand to 2^40 and more.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createRng(seed: number): Rng {
  const init = splitmix32(Math.floor(seed) ^ Math.floor(seed / 0x100000000));
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 0x100000000;
  };
  for (let i = 0; i < 12; i++) next();
  return {
    next,
    normal() {
      const u = 1 - next(); // (0, 1]: log(0) never happens
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
    int(n) {
      return Math.floor(next() * n);
    },
  };
}

/** A seed for trial `index` of a sweep seeded with `seed`: each suggestion reproducible on its own. */
export function trialSeed(seed: number, index: number): number {
  return splitmix32((seed >>> 0) ^ Math.imul(index + 1, 0x27d4eb2d))();
}
