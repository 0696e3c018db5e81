/**
 * Seeded pseudo-random numbers, so that the randomised analyses (random masking baselines, patch
 * placement, tile scrambling) are reproducible from a seed.
 */

/** A generator of floats in [0, 1) from a 32-bit seed (mulberry32). Same seed, same sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniformly random permutation of 0..n−1 (Fisher–Yates). */
export function randomPermutation(n: number, random: () => number): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
