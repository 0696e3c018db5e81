/**
 * Images the user brings, made ready for a model: decoding a dropped file (with a readable error
 * when the browser cannot), and fitting any picture to the model's input — cropped to its aspect
 * ratio and scaled to its input size; for a small grey model such as the Fashion-MNIST one, also
 * turned grey and, when the background is light, inverted (Fashion-MNIST shows light clothes on
 * black).
 */
import type { BagNet } from '@bagnet-vis/core';

/** A decoded picture that can be drawn onto a canvas. */
export type Picture = HTMLImageElement | HTMLCanvasElement | ImageBitmap;

/** Thrown when a file is not an image this browser decodes. */
export class UndecodableImageError extends Error {
  constructor(fileName: string, cause: unknown) {
    super(`“${fileName}” is not an image this browser can decode. Use a PNG, JPEG, GIF, WebP or BMP file.`, { cause });
    this.name = 'UndecodableImageError';
  }
}

/** Decodes an image file. @throws {UndecodableImageError} */
export async function decodeImageFile(file: File): Promise<ImageBitmap> {
  try {
    return await createImageBitmap(file);
  } catch (e) {
    throw new UndecodableImageError(file.name, e);
  }
}

function sizeOf(picture: Picture): [number, number] {
  return picture instanceof HTMLImageElement
    ? [picture.naturalWidth, picture.naturalHeight]
    : [picture.width, picture.height];
}

/** Whether the model reads grey images: the same normalisation in R, G and B and a small input. */
export function readsGrey(model: BagNet): boolean {
  const { mean, std } = model.metadata.normalization;
  const [h, w] = model.metadata.inputSize;
  return mean.every((m) => m === mean[0]) && std.every((s) => s === std[0]) && h * w <= 64 * 64;
}

/**
 * A new canvas with `picture` centre-cropped to the model's aspect ratio and scaled to its input
 * size (`metadata.inputSize`), made grey (and light-on-dark) for a model that reads grey images.
 */
export function fitToModel(picture: Picture, model: BagNet): HTMLCanvasElement {
  const [height, width] = model.metadata.inputSize;
  const [sw, sh] = sizeOf(picture);
  const scale = Math.max(width / sw, height / sh);
  const cw = width / scale;
  const ch = height / scale;
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.imageSmoothingQuality = 'high';
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(picture, (sw - cw) / 2, (sh - ch) / 2, cw, ch, 0, 0, width, height);
  if (readsGrey(model)) toLightOnDark(ctx, width, height);
  return canvas;
}

/** Grey levels (BT.601 luma), inverted when the border is mostly light. */
function toLightOnDark(ctx: CanvasRenderingContext2D, width: number, height: number): void {
  const image = ctx.getImageData(0, 0, width, height);
  const px = image.data;
  const grey = new Float32Array(width * height);
  for (let i = 0; i < grey.length; i++) grey[i] = 0.299 * px[i * 4]! + 0.587 * px[i * 4 + 1]! + 0.114 * px[i * 4 + 2]!;
  let border = 0;
  let count = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (y > 0 && y < height - 1 && x > 0 && x < width - 1) continue;
      border += grey[y * width + x]!;
      count++;
    }
  }
  const invert = border / count > 127;
  grey.forEach((g, i) => {
    const v = invert ? 255 - g : g;
    px[i * 4] = v;
    px[i * 4 + 1] = v;
    px[i * 4 + 2] = v;
    px[i * 4 + 3] = 255;
  });
  ctx.putImageData(image, 0, 0);
}

/** A small canvas showing `picture` (for thumbnails), fitted into `size`×`size`. */
export function thumbnail(picture: Picture, size = 96): HTMLCanvasElement {
  const [sw, sh] = sizeOf(picture);
  const scale = Math.min(1, size / Math.max(sw, sh));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(sw * scale));
  canvas.height = Math.max(1, Math.round(sh * scale));
  canvas.getContext('2d')!.drawImage(picture, 0, 0, canvas.width, canvas.height);
  return canvas;
}

/** Loads and decodes an image URL. */
export async function loadPicture(url: string, alt = ''): Promise<HTMLImageElement> {
  const img = new Image();
  img.alt = alt;
  img.src = url;
  await img.decode();
  return img;
}
