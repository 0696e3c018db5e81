/**
 * The `--png` figure of `bagnet explain`: a title, the image and the image with its evidence
 * overlay side by side, and a legend (colour bar with tick values and a caption). Drawn into an
 * RGBA buffer and encoded with pngjs; text uses the built-in bitmap font.
 */
import { PNG } from 'pngjs';

import { drawText, fitText, GLYPH_HEIGHT, textWidth } from './bitmap-font.js';
import type { ClipScale } from '@bagnet-vis/core';

import { DIVERGING_LUT, lutIndex } from './colormap.js';

/** What the figure shows. */
export interface ExplanationFigure {
  /** RGB pixels 0–255, row-major [height, width, 3]. */
  readonly rgb: ArrayLike<number>;
  readonly width: number;
  readonly height: number;
  /** One evidence value per pixel (row-major height × width); NaN where no patch covers it. */
  readonly values: Float32Array;
  /** First line, e.g. `tabby (class 281): logit 9.81, p 0.62`. */
  readonly title: string;
  /** Second line, e.g. what the values are. */
  readonly subtitle: string;
  /** What the colour scale measures, for the legend, e.g. `patch logit`. */
  readonly quantity: string;
  /**
   * An image rectangle to outline on both panels, with a line of text under the legend: e.g. the
   * worst-case window of a patch-robustness certificate.
   */
  readonly box?: {
    readonly x: number;
    readonly y: number;
    readonly width: number;
    readonly height: number;
    readonly note: string;
  };
  /** The colour scale, from core (`ClassEvidence.clip()` or `clipScale` of a dense map). */
  readonly clip: ClipScale;
}
/** Opacity of the colour over the (lightened, grey) image. */
const OVERLAY_ALPHA = 0.7;

const BACKGROUND: readonly [number, number, number] = [255, 255, 255];
const INK: readonly [number, number, number] = [20, 20, 20];
const MUTED: readonly [number, number, number] = [90, 90, 90];
const MARGIN = 10;
const GAP = 10;

/** Encodes the figure as PNG bytes. */
export function renderExplanationPng(fig: ExplanationFigure): Uint8Array {
  const { width: w, height: h } = fig;
  // Small images are enlarged (nearest neighbour) so patches stay visible.
  const zoom = Math.max(1, Math.min(8, Math.floor(256 / Math.max(w, h))));
  const pw = w * zoom;
  const ph = h * zoom;
  const canvasWidth = Math.max(2 * pw + GAP + 2 * MARGIN, 340);
  const big = canvasWidth >= 440 ? 2 : 1;
  const line = (scale: number) => (GLYPH_HEIGHT + 3) * scale;

  const titleY = MARGIN;
  const subtitleY = titleY + line(big);
  const panelY = subtitleY + line(1) + 6;
  const barY = panelY + ph + 14;
  const barHeight = 12;
  const tickY = barY + barHeight;
  const tickLabelY = tickY + 6;
  const captionY = tickLabelY + line(1) + 4;
  const captionLines = fig.box === undefined ? 3 : 4;
  const canvasHeight = captionY + captionLines * line(1) + MARGIN - 3;

  const out = new PNG({ width: canvasWidth, height: canvasHeight });
  const px = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
  fill(px, canvasWidth, 0, 0, canvasWidth, canvasHeight, BACKGROUND);

  const text = (s: string, x: number, y: number, scale: number, color = INK) =>
    drawText(px, canvasWidth, canvasHeight, fitText(s, canvasWidth - x - MARGIN, scale), x, y, scale, color);
  text(fig.title, MARGIN, titleY, big);
  text(fig.subtitle, MARGIN, subtitleY, 1, MUTED);

  // Panels: the image, and the overlay.
  const left = Math.floor((canvasWidth - (2 * pw + GAP)) / 2);
  const right = left + pw + GAP;
  const limit = fig.clip.domain[1];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const r = fig.rgb[i * 3]!;
      const g = fig.rgb[i * 3 + 1]!;
      const b = fig.rgb[i * 3 + 2]!;
      // Overlay base: the image in grey, lightened, so colour reads as evidence, not as content.
      const grey = 0.4 * 255 + 0.6 * (0.299 * r + 0.587 * g + 0.114 * b);
      const v = fig.values[i]!;
      let o: [number, number, number] = [grey, grey, grey];
      if (Number.isFinite(v)) {
        const k = lutIndex(v, limit) * 3;
        o = [0, 1, 2].map((c) => (1 - OVERLAY_ALPHA) * grey + OVERLAY_ALPHA * DIVERGING_LUT[k + c]!) as typeof o;
      }
      fill(px, canvasWidth, left + x * zoom, panelY + y * zoom, zoom, zoom, [r, g, b]);
      fill(px, canvasWidth, right + x * zoom, panelY + y * zoom, zoom, zoom, o);
    }
  }

  if (fig.box !== undefined) {
    // Outline (2 px ink inside a 1 px white halo) of the box, on both panels.
    const b = fig.box;
    for (const panel of [left, right]) {
      const x0 = panel + b.x * zoom;
      const y0 = panelY + b.y * zoom;
      const bw = b.width * zoom;
      const bh = b.height * zoom;
      for (const [color, inset, t] of [
        [BACKGROUND, -1, 1],
        [INK, 0, 2],
      ] as const) {
        fill(px, canvasWidth, x0 + inset, y0 + inset, bw - 2 * inset, t, color);
        fill(px, canvasWidth, x0 + inset, y0 + bh - inset - t, bw - 2 * inset, t, color);
        fill(px, canvasWidth, x0 + inset, y0 + inset, t, bh - 2 * inset, color);
        fill(px, canvasWidth, x0 + bw - inset - t, y0 + inset, t, bh - 2 * inset, color);
      }
    }
  }

  // Legend: colour bar from −limit to +limit with five ticks.
  const barLeft = MARGIN;
  const barWidth = canvasWidth - 2 * MARGIN;
  for (let x = 0; x < barWidth; x++) {
    const k = Math.round((x / (barWidth - 1)) * 255) * 3;
    fill(px, canvasWidth, barLeft + x, barY, 1, barHeight, [
      DIVERGING_LUT[k]!,
      DIVERGING_LUT[k + 1]!,
      DIVERGING_LUT[k + 2]!,
    ]);
  }
  for (let t = 0; t <= 4; t++) {
    const x = barLeft + Math.round((t / 4) * (barWidth - 1));
    fill(px, canvasWidth, x, tickY, 1, 4, INK);
    const label = tickLabel(((t - 2) / 2) * limit);
    const lw = textWidth(label, 1);
    const lx = Math.max(MARGIN, Math.min(canvasWidth - MARGIN - lw, x - Math.floor(lw / 2)));
    text(label, lx, tickLabelY, 1);
  }
  text('blue: evidence against the class, red: evidence for it', MARGIN, captionY, 1);
  text(`colour: ${fig.quantity}`, MARGIN, captionY + line(1), 1, MUTED);
  text(`clipped at the ${fig.clip.percentile}th percentile of |value|`, MARGIN, captionY + 2 * line(1), 1, MUTED);
  if (fig.box !== undefined) text(fig.box.note, MARGIN, captionY + 3 * line(1), 1);
  return new Uint8Array(PNG.sync.write(out));
}

/** A signed tick value with about three significant digits. */
function tickLabel(v: number): string {
  const a = Math.abs(v);
  const s = v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3);
  return v > 0 ? `+${s}` : Number(s) === 0 ? '0' : s;
}

function fill(
  px: Uint8Array,
  stride: number,
  x: number,
  y: number,
  w: number,
  h: number,
  color: readonly number[],
): void {
  for (let yy = y; yy < y + h; yy++) {
    for (let xx = x; xx < x + w; xx++) {
      const o = (yy * stride + xx) * 4;
      px[o] = color[0]!;
      px[o + 1] = color[1]!;
      px[o + 2] = color[2]!;
      px[o + 3] = 255;
    }
  }
}
