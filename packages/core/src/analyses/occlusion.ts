/**
 * Occlusion: what "masking a patch" means in the analyses. A masked rectangle's pixels are
 * replaced, in every channel, by a constant `fill` in the classifier's input space. The default,
 * {@link DEFAULT_FILL} = 0, is the dataset mean colour for a BagNet (its input is normalised as
 * `(pixel / 255 − mean) / std`), i.e. the masked region carries no information; the reference
 * heatmap pads the image with the same value.
 */
import type { PatchRect } from '../architecture.js';
import { BagNetInputError } from '../errors.js';
import type { AnalysisImage } from './classifier.js';

/** Default fill of masked pixels: 0 in normalised space, the dataset mean colour. */
export const DEFAULT_FILL = 0;

/** Throws unless `rect` is a non-empty integer rectangle inside the image. */
export function checkRect(rect: PatchRect, image: AnalysisImage, what: string): void {
  const { x, y, width, height } = rect;
  if (
    ![x, y, width, height].every(Number.isInteger) ||
    x < 0 ||
    y < 0 ||
    width < 1 ||
    height < 1 ||
    x + width > image.width ||
    y + height > image.height
  ) {
    throw new BagNetInputError(
      `${what}: patch {x: ${String(x)}, y: ${String(y)}, width: ${String(width)}, height: ${String(height)}} ` +
        `is not a non-empty integer rectangle inside the ${image.width}×${image.height} image.`,
    );
  }
}

/** A copy of the image with every rectangle of `rects` set to `fill` (overlaps are fine). */
export function occlude(image: AnalysisImage, rects: readonly PatchRect[], fill: number = DEFAULT_FILL): Float32Array {
  const out = image.data.slice();
  const c = image.channels;
  for (const r of rects) {
    for (let y = r.y; y < r.y + r.height; y++) {
      out.fill(fill, (y * image.width + r.x) * c, (y * image.width + r.x + r.width) * c);
    }
  }
  return out;
}
