/**
 * The image's edges, drawn over the evidence as the reference heatmap plots do (they overlay
 * Canny edges of the greyscale image): here a Sobel gradient magnitude, keeping the strongest
 * 12 % of pixels, computed once per image.
 */

/** Fraction of pixels drawn as edges. */
const EDGE_FRACTION = 0.12;

/** Draws the edges of `image` (a canvas holding the picture) into `target` in `color`. */
export function drawEdges(image: HTMLCanvasElement, target: HTMLCanvasElement, color: string): void {
  const { width, height } = image;
  target.width = width;
  target.height = height;
  const out = target.getContext('2d');
  const src = image.getContext('2d', { willReadFrequently: true });
  if (out === null || src === null || width < 3 || height < 3) return;
  let rgba: Uint8ClampedArray;
  try {
    rgba = src.getImageData(0, 0, width, height).data;
  } catch {
    return; // a tainted (cross-origin) image: no edges rather than an error
  }
  const grey = new Float32Array(width * height);
  for (let i = 0; i < grey.length; i++) {
    grey[i] = 0.299 * rgba[i * 4]! + 0.587 * rgba[i * 4 + 1]! + 0.114 * rgba[i * 4 + 2]!;
  }
  const magnitude = new Float32Array(width * height);
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const gx =
        grey[i - width + 1]! +
        2 * grey[i + 1]! +
        grey[i + width + 1]! -
        grey[i - width - 1]! -
        2 * grey[i - 1]! -
        grey[i + width - 1]!;
      const gy =
        grey[i + width - 1]! +
        2 * grey[i + width]! +
        grey[i + width + 1]! -
        grey[i - width - 1]! -
        2 * grey[i - width]! -
        grey[i - width + 1]!;
      magnitude[i] = Math.hypot(gx, gy);
    }
  }
  const sorted = Float32Array.from(magnitude).sort();
  const cut = Math.max(1e-6, sorted[Math.floor((1 - EDGE_FRACTION) * (sorted.length - 1))]!);
  out.clearRect(0, 0, width, height);
  out.fillStyle = color;
  const mask = out.createImageData(width, height);
  out.fillRect(0, 0, 1, 1);
  const [r, g, b] = out.getImageData(0, 0, 1, 1).data;
  for (let i = 0; i < magnitude.length; i++) {
    if (magnitude[i]! >= cut) mask.data.set([r!, g!, b!, 255], i * 4);
  }
  out.putImageData(mask, 0, 0);
}
