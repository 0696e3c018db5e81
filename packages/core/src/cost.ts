/**
 * Arithmetic cost of a BagNet: multiply-accumulate counts from the architecture (benchmarks turn
 * times into GMAC/s and GFLOP/s with them).
 */
import { blockSpecs, featureChannels } from './architecture.js';
import type { BagNetArchitecture } from './architecture.js';

/**
 * MACs of one forward pass on an H×W image (valid convs, as the reference; shortcut convs counted
 * over every position they compute before the crop), with the head evaluated for `classes` classes.
 */
export function forwardMacs(
  a: BagNetArchitecture,
  height: number,
  width: number,
  classes: number = a.numClasses,
): number {
  let h = height;
  let w = width;
  let macs = h * w * 3 * a.stemWidth; // conv1 1×1
  h -= 2;
  w -= 2;
  macs += h * w * 9 * a.stemWidth * a.stemWidth; // conv2 3×3
  for (const b of blockSpecs(a)) {
    macs += h * w * b.inChannels * b.width; // conv1
    const h2 = Math.floor((h - b.kernel) / b.stride) + 1;
    const w2 = Math.floor((w - b.kernel) / b.stride) + 1;
    macs += h2 * w2 * b.kernel * b.kernel * b.width * b.width; // conv2
    macs += h2 * w2 * b.width * b.outChannels; // conv3
    if (b.projection)
      macs +=
        (Math.floor((h - 1) / b.stride) + 1) * (Math.floor((w - 1) / b.stride) + 1) * b.inChannels * b.outChannels;
    h = h2;
    w = w2;
  }
  return macs + h * w * featureChannels(a) * classes;
}
