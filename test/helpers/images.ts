/** Test images from a seed: the same pixels on every run and machine, no files. */
import type { RawImage } from '@bagnet-vis/core';

/** An RGB image of uniform pseudo-random bytes (a 32-bit LCG seeded with `seed`). */
export function seededImage(height: number, width: number, seed = 1): RawImage & { readonly data: Uint8Array } {
  const data = new Uint8Array(height * width * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return { data, width, height };
}
