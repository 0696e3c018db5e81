/**
 * Per-pixel values for painting an evidence map over its image without a dense pass: each pixel
 * takes the patch logit of the cell whose patch centre is nearest (a block per cell, the honest
 * resolution of one forward pass); pixels that no patch covers (the bottom/right remainder) are NaN.
 */
import type { EvidenceMap } from '@bagnet-vis/core';

/** Row-major [imageHeight × imageWidth] values of class `classIndex`. */
export function patchEvidencePerPixel(evidence: EvidenceMap, classIndex: number): Float32Array {
  const g = evidence.geometry;
  const map = evidence.classMap(classIndex);
  const { imageHeight: h, imageWidth: w, rows, cols, stride, receptiveField: q } = g;
  const coveredRows = (rows - 1) * stride + q;
  const coveredCols = (cols - 1) * stride + q;
  const half = (q - 1) / 2;
  const nearest = (p: number, n: number) => Math.min(n - 1, Math.max(0, Math.round((p - half) / stride)));
  const out = new Float32Array(h * w).fill(NaN);
  for (let y = 0; y < Math.min(h, coveredRows); y++) {
    const row = nearest(y, rows) * cols;
    for (let x = 0; x < Math.min(w, coveredCols); x++) out[y * w + x] = map[row + nearest(x, cols)]!;
  }
  return out;
}
