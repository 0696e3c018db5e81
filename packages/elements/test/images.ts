/** Test images: deterministic pixel patterns as canvases, blob URLs and RGB bytes. */
import { seededStates } from '../../../test/helpers/images.js';

/** A w × h canvas with a seeded colour pattern. */
export function patternCanvas(width: number, height: number, seed = 1): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(width, height);
  const next = seededStates(seed);
  for (let i = 0; i < width * height; i++) {
    const s = next();
    const x = i % width;
    const y = Math.floor(i / width);
    img.data[i * 4] = (x * 5 + (s >>> 26)) & 255;
    img.data[i * 4 + 1] = (y * 7 + seed * 40) & 255;
    img.data[i * 4 + 2] = ((x ^ y) * 3) & 255;
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

/** A blob: URL of a PNG of {@link patternCanvas}; revoke it with `URL.revokeObjectURL`. */
export async function patternUrl(width: number, height: number, seed = 1): Promise<string> {
  const canvas = patternCanvas(width, height, seed);
  const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), 'image/png'));
  return URL.createObjectURL(blob);
}

/** Decodes a PNG blob into a canvas. */
export async function blobToCanvas(blob: Blob): Promise<HTMLCanvasElement> {
  const bitmap = await createImageBitmap(blob);
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
  bitmap.close();
  return canvas;
}

/** RGBA of one pixel of a canvas. */
export function pixel(canvas: HTMLCanvasElement, x: number, y: number): [number, number, number, number] {
  const d = canvas.getContext('2d', { willReadFrequently: true })!.getImageData(x, y, 1, 1).data;
  return [d[0]!, d[1]!, d[2]!, d[3]!];
}
