/**
 * `--dense`: the per-pixel heatmap of one class with the reference's semantics, from core's
 * `denseEvidence` (every pixel, progress on stderr).
 */
import { denseEvidence } from '@bagnet-vis/core';
import type { BagNet, BagNetImageInput } from '@bagnet-vis/core';

import type { Progress } from '../terminal.js';

/** Row-major [H × W] logits of class `classIndex`, one per pixel of `image`. */
export async function denseHeatmap(
  net: BagNet,
  image: BagNetImageInput,
  classIndex: number,
  progress: Progress,
): Promise<Float32Array> {
  const dense = await denseEvidence(net, image, {
    classes: [classIndex],
    stride: 1,
    onProgress: (p) => progress.step('dense heatmap', p.fraction),
  });
  progress.done();
  return dense.classMap(classIndex);
}
