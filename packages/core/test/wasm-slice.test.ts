/**
 * core's WASM Slice kernel (src/wasm-slice.ts), registered by useBackend('wasm') in place of
 * tfjs-backend-wasm's: every slice equals the CPU backend's element for element — contiguous and
 * strided, ranks 1–5, float32 and int32, empty — and a BagNet's crops go through it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

import { useBackend } from '@bagnet-vis/core';

import { noLeaks } from '../../../test/helpers/leaks.js';

/** Deterministic values for a shape (integers, so int32 and float32 share them). */
function values(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 8) - 2 ** 23;
  });
}

const CASES: { shape: number[]; begin: number[]; size: number[] }[] = [
  { shape: [7], begin: [2], size: [4] },
  { shape: [5, 6], begin: [1, 2], size: [3, 3] },
  { shape: [5, 6], begin: [1, 0], size: [3, 6] }, // contiguous
  { shape: [4, 5, 6], begin: [1, 1, 2], size: [2, 3, -1] },
  { shape: [3, 12, 12, 8], begin: [0, 0, 0, 0], size: [3, 10, 10, 8] }, // a BagNet shortcut crop
  { shape: [3, 12, 12, 8], begin: [1, 2, 3, 4], size: [2, 5, 6, 3] },
  { shape: [2, 3, 4, 5, 6], begin: [1, 0, 1, 2, 3], size: [1, 3, 2, 2, 3] },
  { shape: [4, 5], begin: [2, 1], size: [0, 3] }, // empty
];

async function slices(dtype: 'float32' | 'int32'): Promise<number[][]> {
  return Promise.all(
    CASES.map(async ({ shape, begin, size }, k) => {
      const x = tf.tensor(values(tf.util.sizeFromShape(shape), k + 1), shape, dtype);
      const y = tf.slice(x, begin, size);
      const v = Array.from(await y.data());
      tf.dispose([x, y]);
      return v;
    }),
  );
}

describe('the WASM Slice kernel', () => {
  it('is registered by useBackend("wasm") and slices as the CPU backend does, element for element', async () => {
    await useBackend('cpu');
    const expected = { float32: await slices('float32'), int32: await slices('int32') };
    await useBackend('wasm');
    const kernel = tf.getKernel('Slice', 'wasm');
    assert.ok(kernel, 'a Slice kernel for wasm');
    assert.equal(kernel.kernelFunc.name, 'sliceWasm', "core's kernel, not tfjs-backend-wasm's");
    await noLeaks(async () => {
      for (const dtype of ['float32', 'int32'] as const) {
        const got = await slices(dtype);
        got.forEach((v, k) => assert.deepEqual(v, expected[dtype][k], `${dtype} case ${k}`));
      }
      // stridedSlice with unit strides goes through the same Slice kernel.
      const x = tf.tensor4d(values(2 * 9 * 9 * 4, 99), [2, 9, 9, 4]);
      const y = tf.slice(x, [0, 0, 0, 0], [2, 7, 7, 4]);
      const z = tf.stridedSlice(x, [0, 0, 0, 0], [2, 7, 7, 4], [1, 1, 1, 1]);
      assert.deepEqual(Array.from(await y.data()), Array.from(await z.data()));
      tf.dispose([x, y, z]);
    });
  });
});
