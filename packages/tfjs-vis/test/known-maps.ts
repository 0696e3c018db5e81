/** Evidence maps with known values (no model, no tensors) for the render tests. */
import { EvidenceMap, PatchGeometry } from '@bagnet-vis/core';

/**
 * 4 × 4 cells (q = 9, stride 8, a 33 × 33 image), three classes “for”, “other”, “third”. Class 0,
 * row-major: 4 2 0 −2 / −4 1 0 3 / 0.5 −0.5 0 0 / 2 −3 1 −1 (times `scale`); class 1: cell / 10;
 * class 2: −1 everywhere.
 */
export function knownMap(scale = 1): EvidenceMap {
  const CLASS0 = [4, 2, 0, -2, -4, 1, 0, 3, 0.5, -0.5, 0, 0, 2, -3, 1, -1];
  const logitMap = new Float32Array(16 * 3);
  CLASS0.forEach((v, i) => {
    logitMap[i * 3] = v * scale;
    logitMap[i * 3 + 1] = i / 10;
    logitMap[i * 3 + 2] = -1;
  });
  return new EvidenceMap({
    logitMap,
    geometry: new PatchGeometry(9, 8, 33, 33, 4, 4),
    labels: ['for', 'other', 'third'],
    bias: new Float32Array([0.25, 0, 0]),
  });
}
