/**
 * Seeded test inputs: the same pixels and map values on every run and machine, no files. Every
 * seeded image and map of the tests and benchmarks comes from the one generator here.
 */
import type { RawImage } from '@bagnet-vis/core';

/**
 * The 32-bit linear congruential generator behind every seeded input: each call returns the next
 * state (an unsigned 32-bit integer) after `seed`.
 */
export function seededStates(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) >>> 0);
}

/** An RGB image of uniform pseudo-random bytes (the top byte of each state). */
export function seededImage(height: number, width: number, seed = 1): RawImage & { readonly data: Uint8Array } {
  const next = seededStates(seed);
  const data = new Uint8Array(height * width * 3);
  for (let i = 0; i < data.length; i++) data[i] = next() >>> 24;
  return { data, width, height };
}

/** 20×20 grey stripes, horizontal or vertical, with a phase and noise from `seed` (two easy classes). */
export function seededStripes(vertical: boolean, seed: number): RawImage & { readonly data: Uint8Array } {
  const size = 20;
  const next = seededStates(seed);
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const s = next();
      const on = (((vertical ? x : y) + (seed % 4)) >> 1) % 2 === 0;
      data.fill((on ? 200 : 50) + ((s >>> 24) % 40) - 20, (y * size + x) * 3, (y * size + x + 1) * 3);
    }
  }
  return { data, width: size, height: size };
}

/** `length` values spread uniformly over [low, high) (e.g. a random evidence map). */
export function seededUniform(length: number, low: number, high: number, seed = 1): Float32Array {
  const next = seededStates(seed);
  const values = new Float32Array(length);
  for (let i = 0; i < length; i++) values[i] = low + (next() / 2 ** 32) * (high - low);
  return values;
}
