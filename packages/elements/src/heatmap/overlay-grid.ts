/**
 * What the overlay canvas of `<bagnet-heatmap>` shows: a grid of values over the image, one canvas
 * pixel each, placed in image pixels — the cells of the evidence map (stride-wide tiles centred on
 * their patches) or a dense level (blocks of its sample stride).
 */
import type { DenseEvidence, PatchGeometry } from '@bagnet-vis/core';

export interface OverlayGrid {
  readonly values: Float32Array;
  readonly rows: number;
  readonly cols: number;
  /** Top-left of the grid and size of one value's block, in image pixels. */
  readonly x0: number;
  readonly y0: number;
  readonly step: number;
  readonly imageWidth: number;
  readonly imageHeight: number;
}

/** The cell map of one class (`values`: its patch logits, row-major). */
export function cellGrid(values: Float32Array, g: PatchGeometry): OverlayGrid {
  const offset = (g.receptiveField - g.stride) / 2;
  return {
    values,
    rows: g.rows,
    cols: g.cols,
    x0: offset,
    y0: offset,
    step: g.stride,
    imageWidth: g.imageWidth,
    imageHeight: g.imageHeight,
  };
}

/** A dense level of one class. */
export function denseGrid(dense: DenseEvidence, classIndex: number): OverlayGrid {
  return {
    values: dense.classMap(classIndex),
    rows: dense.rows,
    cols: dense.cols,
    x0: 0,
    y0: 0,
    step: dense.stride,
    imageWidth: dense.imageWidth,
    imageHeight: dense.imageHeight,
  };
}
