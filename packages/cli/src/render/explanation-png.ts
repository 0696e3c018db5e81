/**
 * The `--png` figure of `bagnet explain`: a title, core's numbers, the image and the image with
 * its evidence overlay side by side, and a legend (colour bar with nice ticks and a caption).
 *
 * Laid out as SVG and rasterised by resvg, with real text (see `figure-text.ts`). Every text is
 * measured before it is placed: a title too long for the figure is shortened (with "…", the class
 * index kept whole), number lines and captions wrap. The two panels are painted here, pixel by
 * pixel, at an integer zoom and placed 1:1, so each map cell has exactly the colour of the colour
 * scale (no resampling by the rasteriser).
 */
import { ticks as niceTicks, tickStep } from 'd3-array';
import { PNG } from 'pngjs';
import { Resvg } from '@resvg/resvg-js';

import { colormap, DEFAULT_COLORMAP, divergingLutIndex } from '@bagnet-vis/core';
import type { ClipScale } from '@bagnet-vis/core';

import { escapeXml, RESVG_FONT, shorten, textAttributes, textWidth, wrapText } from './figure-text.js';
import type { TextStyle } from './figure-text.js';

/** The paper's red (for) / blue (against) diverging map: core's LUT, as the elements paint it (RGBA). */
const LUT = colormap(DEFAULT_COLORMAP).lut;

/** What the figure shows. */
export interface ExplanationFigure {
  /** RGB pixels 0–255, row-major [height, width, 3]. */
  readonly rgb: ArrayLike<number>;
  readonly width: number;
  readonly height: number;
  /** One evidence value per pixel (row-major height × width); NaN where no patch covers it. */
  readonly values: Float32Array;
  /** What was explained, e.g. `tabby, tabby cat`; shortened with "…" when it does not fit. */
  readonly title: string;
  /** Drawn whole after the title, however long the title is, e.g. ` (class 281)`. */
  readonly titleSuffix?: string;
  /**
   * Short statements of core's numbers, e.g. `logit 9.81`, `p 0.620`: joined with " · " and
   * wrapped between statements.
   */
  readonly facts?: readonly string[];
  /** What the panels show, wrapped at spaces. */
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
export const OVERLAY_ALPHA = 0.7;

/** Panels are at least this many px on their longer side (see {@link figureZoom}). */
export const MIN_PANEL_PX = 320;
/** Blank border around everything; no text or ink reaches into it. */
export const MARGIN = 20;
/** The narrowest figure (small images get room for their text). */
export const MIN_FIGURE_WIDTH = 640;
const GAP = 16;

const INK = '#141414';
const MUTED = '#5a5a5a';
const TITLE: TextStyle = { size: 20, weight: 700 };
const FACTS: TextStyle = { size: 15, weight: 400 };
const BODY: TextStyle = { size: 13, weight: 400 };
const TICK: TextStyle = { size: 12, weight: 400 };

/**
 * The integer zoom of the panels: each image pixel becomes `zoom × zoom` figure pixels, with
 * `zoom = max(2, ⌈320 / longer side⌉)`. So the map is always drawn at ≥ 2× its size, and small
 * inputs (a 28 px image) are enlarged until a panel is ≥ 320 px.
 */
export function figureZoom(width: number, height: number): number {
  return Math.max(2, Math.ceil(MIN_PANEL_PX / Math.max(width, height)));
}

/** One placed run of text: `y` is its baseline, `width` how far its ink reaches right of `x`. */
export interface PlacedText {
  readonly text: string;
  readonly x: number;
  readonly y: number;
  readonly style: TextStyle;
  readonly color: string;
  readonly width: number;
  readonly role: 'title' | 'facts' | 'subtitle' | 'tick' | 'caption';
}

/** Where everything of the figure goes, and its SVG. */
export interface ExplanationLayout {
  readonly width: number;
  readonly height: number;
  readonly zoom: number;
  /** Top-left corners of the image panel and of the overlay panel (each `zoom ×` the image). */
  readonly panels: { readonly image: Point; readonly overlay: Point };
  /** The colour bar: `x` is −limit, `x + width` is +limit. */
  readonly bar: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  /** Tick values on the bar (nice round numbers inside ±limit) and where they are drawn. */
  readonly ticks: readonly { readonly value: number; readonly x: number; readonly label: PlacedText }[];
  readonly texts: readonly PlacedText[];
  readonly svg: string;
}
interface Point {
  readonly x: number;
  readonly y: number;
}

/** The rendered figure: PNG bytes and its layout. */
export interface RenderedExplanation {
  readonly png: Uint8Array;
  readonly layout: ExplanationLayout;
}

/** Encodes the figure as PNG bytes. */
export function renderExplanationPng(fig: ExplanationFigure): Uint8Array {
  return renderExplanation(fig).png;
}

/** Lays the figure out and rasterises it (1 SVG px = 1 PNG px). */
export function renderExplanation(fig: ExplanationFigure): RenderedExplanation {
  const layout = explanationLayout(fig);
  const image = new Resvg(layout.svg, {
    font: RESVG_FONT,
    background: 'white',
    fitTo: { mode: 'original' },
    imageRendering: 1,
    shapeRendering: 1,
  }).render();
  return { png: new Uint8Array(image.asPng()), layout };
}

/** A signed tick label: fixed decimals for the tick step, a real minus sign. */
function tickLabel(value: number, decimals: number): string {
  const s = Math.abs(value).toFixed(decimals);
  return Number(s) === 0 ? '0' : value < 0 ? `\u2212${s}` : s;
}

/** The clip limit for a caption: three significant digits. */
function limitText(limit: number): string {
  return limit === 0 ? '0' : limit.toPrecision(3);
}

/** Places every part of the figure and writes its SVG. */
export function explanationLayout(fig: ExplanationFigure): ExplanationLayout {
  const { width: w, height: h } = fig;
  const zoom = figureZoom(w, h);
  const pw = w * zoom;
  const ph = h * zoom;
  const width = Math.max(2 * pw + GAP + 2 * MARGIN, MIN_FIGURE_WIDTH);
  const textWidthMax = width - 2 * MARGIN;
  const texts: PlacedText[] = [];
  let y = MARGIN;
  const lineOf = (text: string, style: TextStyle, color: string, role: PlacedText['role'], x = MARGIN) => {
    const baseline = y + Math.round(style.size * 0.95);
    texts.push({ text, x, y: baseline, style, color, width: textWidth(text, style), role });
    y += Math.round(style.size * 1.4);
  };

  lineOf(shorten(fig.title, textWidthMax, TITLE, fig.titleSuffix ?? ''), TITLE, INK, 'title');
  for (const line of wrapText(fig.facts ?? [], textWidthMax, FACTS, ' \u00b7 ')) lineOf(line, FACTS, INK, 'facts');
  for (const line of wrapText(fig.subtitle.split(' '), textWidthMax, BODY)) lineOf(line, BODY, MUTED, 'subtitle');

  y += 8;
  const left = Math.floor((width - (2 * pw + GAP)) / 2);
  const panels = { image: { x: left, y }, overlay: { x: left + pw + GAP, y } };
  y += ph + 16;

  const limit = fig.clip.domain[1];
  const bar = { x: MARGIN, y, width: textWidthMax, height: 14 };
  y += bar.height + 4 + 4;
  const xOf = (v: number) => bar.x + ((v + limit) / (2 * limit)) * bar.width;
  // About one tick per 100 px; d3 picks round steps (1, 2 or 5 × 10^k) inside ±limit.
  const count = Math.max(3, Math.floor(bar.width / 100));
  const decimals = Math.max(0, Math.ceil(-Math.log10(tickStep(-limit, limit, count)) - 1e-9));
  // An all-zero map (core's limit 0, drawn at a tiny width) gets one tick: 0.
  const values = fig.clip.limit > 0 ? niceTicks(-limit, limit, count) : [0];
  const ticks = values.map((value) => {
    const text = tickLabel(value, decimals);
    const tw = textWidth(text, TICK);
    const x = Math.max(MARGIN, Math.min(Math.floor(width - MARGIN - tw), Math.round(xOf(value) - tw / 2)));
    const label: PlacedText = { text, x, y: y + TICK.size, style: TICK, color: INK, width: tw, role: 'tick' };
    texts.push(label);
    return { value, x: xOf(value), label };
  });
  y += Math.round(TICK.size * 1.4) + 8;

  const caption = [
    'red: evidence for the class \u00b7 blue: evidence against it \u00b7 white: none',
    `colour: ${fig.quantity}, saturated beyond \u00b1${limitText(fig.clip.limit)} ` +
      `(the ${fig.clip.percentile}th percentile of |${fig.quantity}|)`,
  ];
  if (fig.box !== undefined) caption.push(fig.box.note);
  for (const text of caption) {
    for (const line of wrapText(text.split(' '), textWidthMax, BODY)) lineOf(line, BODY, INK, 'caption');
  }
  const height = y + MARGIN - 6;

  const [imagePanel, overlayPanel] = paintPanels(fig, zoom, limit);
  const svg: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    image(panels.image, pw, ph, imagePanel),
    image(panels.overlay, pw, ph, overlayPanel),
  ];
  if (fig.box !== undefined) {
    const b = fig.box;
    for (const panel of [panels.image, panels.overlay]) {
      const x0 = panel.x + b.x * zoom;
      const y0 = panel.y + b.y * zoom;
      // 2 px of ink just inside the box, a 1 px white halo just outside it.
      svg.push(
        `<rect x="${x0 - 0.5}" y="${y0 - 0.5}" width="${b.width * zoom + 1}" height="${b.height * zoom + 1}" fill="none" stroke="#ffffff" stroke-width="1"/>`,
        `<rect x="${x0 + 1}" y="${y0 + 1}" width="${b.width * zoom - 2}" height="${b.height * zoom - 2}" fill="none" stroke="${INK}" stroke-width="2"/>`,
      );
    }
  }
  svg.push(image(bar, bar.width, bar.height, colourBar(bar.width, bar.height)));
  for (const t of ticks) {
    const x = Math.min(bar.x + bar.width - 1, Math.round(t.x));
    svg.push(`<rect x="${x}" y="${bar.y + bar.height}" width="1" height="4" fill="${INK}"/>`);
  }
  for (const t of texts) {
    svg.push(`<text x="${t.x}" y="${t.y}" fill="${t.color}" ${textAttributes(t.style)}>${escapeXml(t.text)}</text>`);
  }
  svg.push('</svg>');
  return { width, height, zoom, panels, bar, ticks, texts, svg: svg.join('\n') };
}

function image(at: Point, width: number, height: number, png: PNG): string {
  const href = `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
  return `<image x="${at.x}" y="${at.y}" width="${width}" height="${height}" image-rendering="optimizeSpeed" href="${href}"/>`;
}

/** The image and the overlay, each enlarged `zoom`× (nearest neighbour). */
function paintPanels(fig: ExplanationFigure, zoom: number, limit: number): [PNG, PNG] {
  const { width: w, height: h } = fig;
  const pw = w * zoom;
  const plain = new PNG({ width: pw, height: h * zoom });
  const overlay = new PNG({ width: pw, height: h * zoom });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const r = fig.rgb[i * 3]!;
      const g = fig.rgb[i * 3 + 1]!;
      const b = fig.rgb[i * 3 + 2]!;
      // Overlay base: the image in grey, lightened, so colour reads as evidence, not as content.
      const grey = 0.4 * 255 + 0.6 * (0.299 * r + 0.587 * g + 0.114 * b);
      const v = fig.values[i]!;
      const colour = [grey, grey, grey];
      if (Number.isFinite(v)) {
        const k = divergingLutIndex(v, limit) * 4;
        for (let c = 0; c < 3; c++) colour[c] = (1 - OVERLAY_ALPHA) * grey + OVERLAY_ALPHA * LUT[k + c]!;
      }
      block(plain, x * zoom, y * zoom, zoom, [r, g, b]);
      block(overlay, x * zoom, y * zoom, zoom, colour);
    }
  }
  return [plain, overlay];
}

/** The colour scale from −limit (left) to +limit (right), one LUT entry per column position. */
function colourBar(width: number, height: number): PNG {
  const png = new PNG({ width, height });
  for (let x = 0; x < width; x++) {
    const k = Math.round((x / (width - 1)) * 255) * 4;
    const colour = [LUT[k]!, LUT[k + 1]!, LUT[k + 2]!];
    for (let y = 0; y < height; y++) setPixel(png, x, y, colour);
  }
  return png;
}

function block(png: PNG, x0: number, y0: number, size: number, colour: readonly number[]): void {
  for (let y = y0; y < y0 + size; y++) for (let x = x0; x < x0 + size; x++) setPixel(png, x, y, colour);
}

function setPixel(png: PNG, x: number, y: number, colour: readonly number[]): void {
  const o = (y * png.width + x) * 4;
  png.data[o] = Math.round(colour[0]!);
  png.data[o + 1] = Math.round(colour[1]!);
  png.data[o + 2] = Math.round(colour[2]!);
  png.data[o + 3] = 255;
}
