// Seeded pseudo-random numbers, so splits, batch order and synthetic data
// are the same on every machine and backend for the same seed.

/** Mulberry32: a small, fast 32-bit generator; returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = mixSeed(seed);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derives independent seeds from one (seed of epoch 3 of run 42, …). */
export function deriveSeed(...parts: number[]): number {
  let hash = 0x811c9dc5;
  for (const part of parts) {
    hash = Math.imul(hash ^ (part | 0), 0x01000193);
    hash = Math.imul(hash ^ Math.floor(part / 4294967296), 0x01000193);
  }
  return hash >>> 0;
}

/** 0 … n-1 in a seeded Fisher–Yates order. */
export function shuffledIndices(n: number, seed: number): Uint32Array {
  const random = seededRandom(seed);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order;
}

/** Standard normal via Box–Muller. */
export function gaussian(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function mixSeed(seed: number): number {
  // Neighbouring seeds (0, 1, 2) otherwise start close together.
  return deriveSeed(seed, 0x9e3779b9) | 0;
}
