/**
 * Decoded pixels → the [H, W, 3] pixel tensor a BagNet explains, resized so the short side has a
 * given length (aspect ratio kept, nothing cropped).
 *
 * Interpolation: bilinear with half-pixel centres (`tf.image.resizeBilinear`, `halfPixelCenters:
 * true` — the convention of PIL, OpenCV and torchvision without antialiasing). When shrinking by 2×
 * or more, the image is first box-averaged over k×k blocks (k = the integer part of the factor,
 * `tf.avgPool`), so every source pixel contributes, as antialiased resizers do. The result is
 * rounded to 8-bit values: the explained image is exactly the one written to `--png`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';

import type { DecodedImage } from './decode.js';

/** The output size when the short side of `height × width` becomes `shortSide`. */
export function shortSideSize(height: number, width: number, shortSide: number): [number, number] {
  if (height <= width) return [shortSide, Math.max(1, Math.round((width * shortSide) / height))];
  return [Math.max(1, Math.round((height * shortSide) / width)), shortSide];
}

/** RGB pixels of a decoded image as an int32 [H, W, 3] tensor (alpha dropped). Caller disposes. */
export function pixelTensor(image: DecodedImage): Tensor3D {
  const n = image.width * image.height;
  const rgb = new Int32Array(n * 3);
  for (let i = 0, j = 0; i < n * 4; i += 4, j += 3) {
    rgb[j] = image.data[i]!;
    rgb[j + 1] = image.data[i + 1]!;
    rgb[j + 2] = image.data[i + 2]!;
  }
  return tf.tensor3d(rgb, [image.height, image.width, 3], 'int32');
}

/**
 * Resizes int32 [H, W, 3] pixels to `size` = [height, width] (see the file comment for the
 * interpolation); returns int32 values in 0–255. Returns a copy when the size is unchanged. The
 * caller disposes the result; `pixels` is not disposed.
 */
export function resizePixels(pixels: Tensor3D, size: readonly [number, number]): Tensor3D {
  const [h, w] = pixels.shape;
  const [th, tw] = size;
  if (h === th && w === tw) return tf.clone(pixels);
  return tf.tidy(() => {
    let x = tf.expandDims(tf.cast(pixels, 'float32'), 0) as Tensor4D;
    const k = Math.floor(Math.min(h / th, w / tw));
    if (k >= 2) x = tf.avgPool(x, k, k, 'valid');
    const y = tf.image.resizeBilinear(x, [th, tw], false, true);
    return tf.cast(tf.clipByValue(tf.round(tf.squeeze(y, [0])), 0, 255), 'int32') as Tensor3D;
  });
}
