/**
 * A faster `Slice` kernel for tfjs's WASM backend, registered by {@link useBackend} in place of
 * tfjs's own (same results, element for element).
 *
 * tfjs-backend-wasm slices in JavaScript after `readSync` has *copied* the whole input out of the
 * WASM heap. A BagNet crops every shortcut (tfjs-layers' Cropping2D is a Slice), so a batch of
 * feature maps was copied whole four times per forward pass: in Chromium with WASM threads that
 * copy — out of a SharedArrayBuffer — was half the time of the masking analysis. This kernel
 * reads the input through a view of the heap instead, after the output is allocated (allocation
 * may grow the heap and detach older views), and copies only the rows it keeps.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

/** The part of tfjs-backend-wasm's BackendWasm this kernel uses. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

const sliceWasm: KernelFunc = ({ inputs, attrs, backend }) => {
  const x = inputs['x'] as TensorInfo;
  const b = backend as unknown as WasmBackend;
  const { begin, size } = attrs as NamedAttrMap & { begin: number | number[]; size: number | number[] };
  const [start, extent] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as [number[], number[]];
  if (x.dtype === 'string') throw new Error('The bagnet-vis WASM Slice kernel does not slice strings.');
  const out = b.makeOutput(extent, x.dtype);
  if (tf.util.sizeFromShape(extent) === 0) return out;
  // Views taken after makeOutput: nothing allocates between here and the copy.
  const xs = b.typedArrayFromHeap(x);
  const os = b.typedArrayFromHeap(out);
  const strides = tf.util.computeStrides(x.shape);
  if (tf.slice_util.isSliceContinous(x.shape, start, extent)) {
    const from = tf.slice_util.computeFlatOffset(start, strides);
    os.set(xs.subarray(from, from + tf.util.sizeFromShape(extent)));
    return out;
  }
  // Copy runs along the last axis, looping over the leading axes in row-major order.
  const rank = x.shape.length;
  const run = extent[rank - 1]!;
  const lead = extent.slice(0, rank - 1);
  const count = tf.util.sizeFromShape(lead);
  const index = new Array<number>(rank - 1).fill(0);
  for (let k = 0, o = 0; k < count; k++, o += run) {
    let from = start[rank - 1]!;
    for (let d = 0; d < rank - 1; d++) from += (start[d]! + index[d]!) * strides[d]!;
    os.set(xs.subarray(from, from + run), o);
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d]! < lead[d]!) break;
      index[d] = 0;
    }
  }
  return out;
};

let registered = false;

/** Puts {@link sliceWasm} in place of tfjs-backend-wasm's Slice kernel (once; idempotent). */
export function registerWasmSlice(): void {
  if (registered) return;
  const existing = tf.getKernel('Slice', 'wasm');
  if (existing === undefined) return; // tfjs-backend-wasm not imported: nothing to replace
  tf.unregisterKernel('Slice', 'wasm');
  tf.registerKernel({ ...existing, kernelFunc: sliceWasm } as KernelConfig);
  registered = true;
}
