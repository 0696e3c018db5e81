/**
 * Image sources → the normalised NHWC tensor a BagNet reads. Pixels are RGB in [0, 255];
 * normalisation is `((pixel / 255) - mean) / std` per channel, as the reference.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';

import { BagNetInputError } from './errors.js';
import type { Normalization } from './metadata.js';

/** Raw interleaved 8-bit pixels, e.g. from a decoder in Node. Row-major, top row first. */
export interface RawImage {
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
  /** 3 (RGB) or 4 (RGBA; alpha is ignored). Default: inferred from `data.length`. */
  readonly channels?: 3 | 4;
}

/**
 * Every image source a BagNet accepts. A `Tensor3D` is [height, width, 3] RGB pixel values in
 * [0, 255] (what `tf.browser.fromPixels` returns); it is read, not disposed.
 */
export type BagNetImageInput =
  | Tensor3D
  | RawImage
  | ImageData
  | HTMLImageElement
  | HTMLCanvasElement
  | HTMLVideoElement
  | ImageBitmap
  | OffscreenCanvas;

/** Largest image accepted (pixels), so a huge image fails clearly instead of exhausting memory. */
export const MAX_IMAGE_PIXELS = 16_777_216; // 4096 × 4096

function isTensor(x: unknown): x is tf.Tensor {
  return x instanceof tf.Tensor;
}

function isRawImage(x: unknown): x is RawImage {
  return (
    typeof x === 'object' &&
    x !== null &&
    !isTensor(x) &&
    'data' in x &&
    'width' in x &&
    'height' in x &&
    (x.data instanceof Uint8Array || x.data instanceof Uint8ClampedArray) &&
    !(typeof ImageData !== 'undefined' && x instanceof ImageData)
  );
}

function checkSize(width: number, height: number, what: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new BagNetInputError(
      `${what} has size ${String(width)}×${String(height)}: an image needs at least 1×1 px (is it loaded?).`,
    );
  }
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new BagNetInputError(
      `${what} is ${width}×${height} px (${width * height} pixels), more than the ${MAX_IMAGE_PIXELS}-pixel limit: downscale it first.`,
    );
  }
}

function fromRaw(img: RawImage): Tensor3D {
  checkSize(img.width, img.height, 'Raw image');
  const n = img.width * img.height;
  const channels = img.channels ?? (img.data.length === n * 4 ? 4 : img.data.length === n * 3 ? 3 : 0);
  if ((channels !== 3 && channels !== 4) || img.data.length !== n * channels) {
    throw new BagNetInputError(
      `Raw image data has ${img.data.length} bytes, but ${img.width}×${img.height} needs ${n * 3} (RGB) or ${n * 4} (RGBA).`,
    );
  }
  const rgb = new Int32Array(n * 3);
  for (let i = 0, j = 0; i < n * channels; i += channels, j += 3) {
    rgb[j] = img.data[i]!;
    rgb[j + 1] = img.data[i + 1]!;
    rgb[j + 2] = img.data[i + 2]!;
  }
  return tf.tensor3d(rgb, [img.height, img.width, 3], 'int32');
}

async function fromDom(input: Exclude<BagNetImageInput, Tensor3D | RawImage>): Promise<Tensor3D> {
  if (typeof HTMLImageElement !== 'undefined' && input instanceof HTMLImageElement) {
    if (!input.complete || input.naturalWidth === 0) {
      try {
        await input.decode();
      } catch (e) {
        throw new BagNetInputError(
          `Image ${JSON.stringify(input.currentSrc || input.src)} could not be decoded or has not loaded.`,
          { cause: e },
        );
      }
    }
    checkSize(input.naturalWidth, input.naturalHeight, 'Image element');
  }
  let source: Exclude<BagNetImageInput, Tensor3D | RawImage | OffscreenCanvas> | ImageBitmap;
  if (typeof OffscreenCanvas !== 'undefined' && input instanceof OffscreenCanvas) {
    checkSize(input.width, input.height, 'OffscreenCanvas');
    source = await createImageBitmap(input);
  } else if (typeof HTMLImageElement !== 'undefined' && input instanceof HTMLImageElement) {
    // tf.browser.fromPixels reads an <img> at its layout size (img.width/height, which CSS or the
    // width attribute may change); the model must see the file's own pixels.
    source = await createImageBitmap(input);
  } else {
    source = input as Exclude<BagNetImageInput, Tensor3D | RawImage | OffscreenCanvas>;
    const w =
      'videoWidth' in source ? source.videoWidth : 'naturalWidth' in source ? source.naturalWidth : source.width;
    const h =
      'videoHeight' in source ? source.videoHeight : 'naturalHeight' in source ? source.naturalHeight : source.height;
    checkSize(w, h, source.constructor.name);
  }
  try {
    return tf.browser.fromPixels(source, 3);
  } catch (e) {
    const tainted = e instanceof Error && e.name === 'SecurityError';
    throw new BagNetInputError(
      tainted
        ? 'The image is cross-origin and taints the canvas, so its pixels cannot be read: serve it with CORS headers and set crossOrigin="anonymous".'
        : `Could not read pixels from ${source.constructor.name}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  } finally {
    if (source !== input && 'close' in source) source.close();
  }
}

/**
 * Reads any {@link BagNetImageInput} into an int32 [H, W, 3] RGB pixel tensor. The caller
 * disposes the result (a new tensor even when the input is a tensor).
 */
export async function readPixels(input: BagNetImageInput): Promise<Tensor3D> {
  if (isTensor(input)) {
    if (input.isDisposed) throw new BagNetInputError('The image tensor has already been disposed.');
    if (input.rank !== 3 || input.shape[2] !== 3) {
      throw new BagNetInputError(
        `An image tensor must have shape [height, width, 3] (RGB 0–255), got [${input.shape.join(', ')}].`,
      );
    }
    checkSize(input.shape[1], input.shape[0], 'Image tensor');
    const finite = tf.tidy(() => tf.all(tf.isFinite(input)));
    const ok = (await finite.data())[0] === 1;
    finite.dispose();
    if (!ok) throw new BagNetInputError('The image tensor contains NaN or infinite values.');
    return tf.clone(input);
  }
  if (isRawImage(input)) return fromRaw(input);
  if (typeof ImageData !== 'undefined' && input instanceof ImageData) {
    checkSize(input.width, input.height, 'ImageData');
    return fromRaw({ data: input.data, width: input.width, height: input.height, channels: 4 });
  }
  if (typeof input === 'object' && input !== null && typeof (input as { width?: unknown }).width === 'number') {
    return fromDom(input as Exclude<BagNetImageInput, Tensor3D | RawImage>);
  }
  throw new BagNetInputError(
    'Unsupported image input: pass an HTMLImageElement, HTMLCanvasElement, HTMLVideoElement, ImageBitmap, ' +
      'ImageData, OffscreenCanvas, a [H, W, 3] tf.Tensor3D, or {data, width, height} raw RGB(A) bytes.',
  );
}

/**
 * Normalises [H, W, 3] RGB pixels (0–255) to the network's input [1, H, W, 3]. Pure tensor op;
 * the caller disposes the result.
 */
export function normalizePixels(pixels: Tensor3D, normalization: Normalization): Tensor4D {
  return tf.tidy(() => {
    const x = tf.div(tf.cast(pixels, 'float32'), 255);
    const mean = tf.tensor1d([...normalization.mean]);
    const std = tf.tensor1d([...normalization.std]);
    return tf.expandDims(tf.div(tf.sub(x, mean), std), 0) as Tensor4D;
  });
}
