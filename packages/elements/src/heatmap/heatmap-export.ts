/**
 * `<bagnet-heatmap>`'s export: the image, the evidence overlay at its opacity, the outline and the
 * legend drawn into one canvas (at least 448 px wide), and that canvas as a PNG blob or download.
 */
import { formatNumber } from '../shared/format.js';
import type { PaintOptions } from './evidence-painter.js';
import { legendTicks } from './legend.js';
import type { OverlayGrid } from './overlay-grid.js';

/** The layers of a heatmap, as its canvases hold them. */
export interface HeatmapLayers {
  readonly grid: OverlayGrid;
  /** The image canvas; drawn when `withImage`. */
  readonly image: HTMLCanvasElement;
  readonly withImage: boolean;
  readonly overlay: HTMLCanvasElement;
  readonly opacity: number;
  /** The edges canvas when `outline` is on. */
  readonly outline: HTMLCanvasElement | null;
  readonly legend: HTMLCanvasElement | null;
  readonly options: PaintOptions;
}

/** Draws image + overlay + outline + legend into a new canvas. */
export function compositeHeatmap(layers: HeatmapLayers): HTMLCanvasElement {
  const { grid, image, overlay, outline, legend, options } = layers;
  const scale = Math.max(1, Math.ceil(448 / grid.imageWidth));
  const width = grid.imageWidth * scale;
  const height = grid.imageHeight * scale;
  const legendHeight = 44;
  const out = document.createElement('canvas');
  out.width = width;
  out.height = height + legendHeight;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, out.width, out.height);
  if (layers.withImage && image.width > 0) ctx.drawImage(image, 0, 0, width, height);
  ctx.imageSmoothingEnabled = false;
  ctx.globalAlpha = layers.opacity;
  ctx.drawImage(
    overlay,
    grid.x0 * scale,
    grid.y0 * scale,
    grid.cols * grid.step * scale,
    grid.rows * grid.step * scale,
  );
  ctx.globalAlpha = 1;
  if (outline && outline.width > 0) {
    ctx.globalAlpha = Number.parseFloat(getComputedStyle(outline).opacity) || 0.35;
    ctx.drawImage(outline, 0, 0, width, height);
    ctx.globalAlpha = 1;
  }
  // Legend: bar and ticks.
  const barX = 16;
  const barW = width - 32;
  if (legend) ctx.drawImage(legend, barX, height + 8, barW, 10);
  ctx.fillStyle = '#1f2328';
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  const ticks = legendTicks(options);
  ticks.forEach((t, i) => {
    ctx.textAlign = i === 0 ? 'left' : i === ticks.length - 1 ? 'right' : 'center';
    const x = barX + (barW * t.at) / 100;
    ctx.fillRect(Math.round(x), height + 18, 1, 3);
    ctx.fillText(formatNumber(t.value), x, height + 23);
  });
  return out;
}

/** The canvas encoded as `type` (default PNG). */
export function canvasBlob(canvas: HTMLCanvasElement, type = 'image/png', quality?: number): Promise<Blob> {
  return new Promise<Blob>((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('Canvas export failed.'))), type, quality),
  );
}

/** Saves `blob` as `filename` through a temporary link. */
export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    a.click();
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
}
