/**
 * A small, hand-made evidence map and a picture for it: what a page passes as `.evidence` when it
 * has computed (or stored) a map itself. Deterministic, needs no model.
 */
import { EvidenceMap, PatchGeometry } from '@bagnet-vis/core';

/** Geometry of the synthetic map: q = 9 px patches at stride 8 on a 41×41 image, 5×5 cells. */
export const SYNTHETIC_GEOMETRY = { q: 9, stride: 8, size: 41, cells: 5 } as const;

const LABELS = ['circle', 'square', 'stripe'];

/**
 * A 5×5 map with three classes: "circle" has evidence for it at the centre and against it in the
 * corners, "square" the opposite, "stripe" a left-to-right ramp. The caller owns the map (it holds
 * no tensors until asked for them; `dispose()` frees those).
 */
export function syntheticEvidence(): EvidenceMap {
  const { q, stride, size, cells } = SYNTHETIC_GEOMETRY;
  const classes = LABELS.length;
  const logitMap = new Float32Array(cells * cells * classes);
  const centre = (cells - 1) / 2;
  for (let row = 0; row < cells; row++) {
    for (let col = 0; col < cells; col++) {
      const d = Math.hypot(row - centre, col - centre) / Math.hypot(centre, centre); // 0 (centre) … 1 (corner)
      const o = (row * cells + col) * classes;
      logitMap[o] = 3 - 5.5 * d;
      logitMap[o + 1] = -2 + 4 * d;
      logitMap[o + 2] = col - centre;
    }
  }
  return new EvidenceMap({
    logitMap,
    geometry: new PatchGeometry(q, stride, size, size, cells, cells),
    labels: LABELS,
    bias: new Float32Array([0.2, -0.1, 0]),
  });
}

/** The picture the synthetic map is about: a dark disc on a light square, 41×41 px. */
export function syntheticPicture(): HTMLCanvasElement {
  const { size } = SYNTHETIC_GEOMETRY;
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#e8e8e8';
  ctx.fillRect(0, 0, size, size);
  ctx.fillStyle = '#333';
  ctx.beginPath();
  ctx.arc(size / 2, size / 2, size / 4, 0, 2 * Math.PI);
  ctx.fill();
  return canvas;
}
