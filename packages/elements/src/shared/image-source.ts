/**
 * Images as the elements see them: loading `src` URLs, their pixel size, and drawing any
 * `BagNetImageInput` (the same inputs `BagNet.evidence` accepts) onto a canvas for display.
 */
import { Tensor } from '@tensorflow/tfjs-core';
import { BagNetAbortError, BagNetInputError } from '@bagnet-vis/core';
import type { BagNetImageInput, RawImage } from '@bagnet-vis/core';

/** Width and height in pixels. */
export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

function isRawImage(image: BagNetImageInput): image is RawImage {
  return (
    !(image instanceof Tensor) &&
    'data' in image &&
    (image.data instanceof Uint8Array || image.data instanceof Uint8ClampedArray) &&
    !(typeof ImageData !== 'undefined' && image instanceof ImageData)
  );
}

/** The pixel size of an image input (natural size for `<img>`, video size for `<video>`). */
export function imageSize(image: BagNetImageInput): ImageSize {
  if (image instanceof Tensor) return { width: image.shape[1], height: image.shape[0] };
  if (typeof HTMLImageElement !== 'undefined' && image instanceof HTMLImageElement) {
    return { width: image.naturalWidth, height: image.naturalHeight };
  }
  if (typeof HTMLVideoElement !== 'undefined' && image instanceof HTMLVideoElement) {
    return { width: image.videoWidth, height: image.videoHeight };
  }
  return { width: image.width, height: image.height };
}

/**
 * Loads an image URL (CORS-enabled, so its pixels can be read) and waits until it is decoded.
 * Rejects with `BagNetInputError` when it cannot be loaded or decoded, `BagNetAbortError` when
 * `signal` aborts first.
 */
export async function loadImage(url: string, signal?: AbortSignal): Promise<HTMLImageElement> {
  if (signal?.aborted) throw new BagNetAbortError('Loading the image was aborted.');
  const img = new Image();
  img.crossOrigin = 'anonymous';
  img.decoding = 'async';
  const abort = new Promise<never>((_, reject) => {
    signal?.addEventListener(
      'abort',
      () => {
        img.src = '';
        reject(new BagNetAbortError('Loading the image was aborted.'));
      },
      { once: true },
    );
  });
  img.src = url;
  try {
    await Promise.race([img.decode(), abort]);
  } catch (e) {
    if (e instanceof BagNetAbortError) throw e;
    throw new BagNetInputError(
      `Image ${JSON.stringify(img.src || url)} could not be loaded: check the URL, that it is an image ` +
        `(PNG, JPEG, WebP, …) and, for another origin, that it is served with CORS headers.`,
      { cause: e },
    );
  }
  if (img.naturalWidth === 0 || img.naturalHeight === 0) {
    throw new BagNetInputError(`Image ${JSON.stringify(img.src)} has no pixels (0×0).`);
  }
  return img;
}

/** RGBA ImageData from [H, W, 3] RGB bytes (or RGBA). */
function rawToImageData(raw: RawImage): ImageData {
  const { width, height, data } = raw;
  const n = width * height;
  const channels = raw.channels ?? (data.length === n * 4 ? 4 : 3);
  const out = new ImageData(width, height);
  for (let i = 0, j = 0; i < n; i++, j += channels) {
    out.data[i * 4] = data[j]!;
    out.data[i * 4 + 1] = data[j + 1]!;
    out.data[i * 4 + 2] = data[j + 2]!;
    out.data[i * 4 + 3] = 255;
  }
  return out;
}

/** RGBA ImageData from a [H, W, 3] tensor of 0–255 values (read once, asynchronously). */
async function tensorToImageData(tensor: Tensor): Promise<ImageData> {
  const [height, width] = tensor.shape as [number, number, number];
  const values = await tensor.data();
  const out = new ImageData(width, height);
  for (let i = 0, j = 0; i < width * height; i++, j += 3) {
    out.data[i * 4] = values[j]!;
    out.data[i * 4 + 1] = values[j + 1]!;
    out.data[i * 4 + 2] = values[j + 2]!;
    out.data[i * 4 + 3] = 255;
  }
  return out;
}

/**
 * Draws `image` at its pixel size onto `canvas` (resized to it). Tensors are read, not disposed;
 * they must stay alive until the returned promise settles.
 */
export async function drawImageSource(canvas: HTMLCanvasElement, image: BagNetImageInput): Promise<void> {
  const { width, height } = imageSize(image);
  const pixels =
    image instanceof Tensor
      ? await tensorToImageData(image)
      : isRawImage(image)
        ? rawToImageData(image)
        : typeof ImageData !== 'undefined' && image instanceof ImageData
          ? image
          : undefined;
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (ctx === null) return;
  ctx.clearRect(0, 0, width, height);
  if (pixels !== undefined) ctx.putImageData(pixels, 0, 0);
  else ctx.drawImage(image as CanvasImageSource, 0, 0, width, height);
}
