/**
 * The colour legend of `<bagnet-heatmap>`: the range it spans, its numeric ticks, the bar painted
 * through the same value → colour rule as the overlay (`lutPosition`), and its markup.
 */
import { html, nothing } from 'lit';
import type { TemplateResult } from 'lit';

import { formatNumber } from '../shared/format.js';
import { styleProps } from '../shared/style-props.js';
import { lutPosition } from './evidence-painter.js';
import type { PaintOptions } from './evidence-painter.js';

/** Numeric tick of the legend. */
export interface LegendTick {
  readonly value: number;
  /** Position along the legend bar, 0–100 %. */
  readonly at: number;
}

/** The values the legend spans: zero included, one side only for a single sign. */
export function legendRange(options: PaintOptions): readonly [number, number] {
  const low = Math.min(options.domain[0], 0);
  const high = Math.max(options.domain[1], 0);
  if (options.sign === 'positive') return [0, high];
  if (options.sign === 'negative') return [low, 0];
  return options.colormap.kind === 'diverging' ? [low, high] : [options.domain[0], options.domain[1]];
}

/** Five ticks: the ends, zero and the halves on a diverging scale; quarters otherwise. */
export function legendTicks(options: PaintOptions): LegendTick[] {
  const [from, to] = legendRange(options);
  const span = to - from;
  if (!(span > 0)) return [];
  const values =
    from < 0 && to > 0 && options.colormap.kind === 'diverging'
      ? [from, from / 2, 0, to / 2, to]
      : [from, from + span / 4, from + span / 2, from + (3 * span) / 4, to];
  // Diverging scales with asymmetric limits: zero sits at the centre, each half linear.
  const at = (v: number) =>
    from < 0 && to > 0 && options.colormap.kind === 'diverging'
      ? v >= 0
        ? 50 + (50 * v) / to
        : 50 - (50 * v) / from
      : (100 * (v - from)) / span;
  return values.map((value) => ({ value, at: at(value) }));
}

/** Paints the legend bar (256 × 1 pixels, scaled with CSS). */
export function paintLegendBar(canvas: HTMLCanvasElement, options: PaintOptions): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const [from, to] = legendRange(options);
  const width = 256;
  if (canvas.width !== width) canvas.width = width;
  canvas.height = 1;
  const img = ctx.createImageData(width, 1);
  const opts: PaintOptions = { ...options, threshold: 0 };
  const eps = (to - from) * 1e-6;
  for (let x = 0; x < width; x++) {
    let v = from + ((to - from) * x) / (width - 1);
    if (options.sign === 'positive') v = Math.max(v, eps);
    if (options.sign === 'negative') v = Math.min(v, -eps);
    const p = lutPosition(v, opts);
    if (p !== null) img.data.set(options.colormap.lut.subarray(Math.round(p) * 4, Math.round(p) * 4 + 4), x * 4);
  }
  ctx.putImageData(img, 0, 0);
}

/** The legend: end words, bar, ticks and the threshold note; hidden without `options` (no map). */
export function renderLegend(options: PaintOptions | undefined): TemplateResult {
  const ticks = options ? legendTicks(options) : [];
  const sign = options?.sign ?? 'all';
  const diverging = options?.colormap.kind === 'diverging';
  const threshold = options?.threshold ?? 0;
  return html`<div part="legend" class="legend" ?hidden=${options === undefined}>
    <span>${sign === 'positive' ? 'weak' : diverging ? '← against' : 'low'}</span>
    <div class="legend-scale">
      <canvas part="legend-bar" class="legend-bar" aria-hidden="true"></canvas>
      ${ticks.map(
        (t, i) =>
          html`<span
            part="legend-tick"
            class="tick ${i === 0 ? 'first' : i === ticks.length - 1 ? 'last' : ''}"
            style=${styleProps({ left: `${t.at}%` })}
            >${formatNumber(t.value)}</span
          >`,
      )}
    </div>
    <span>${sign === 'negative' ? 'weak' : diverging ? 'for →' : 'high'}</span>
    ${
      threshold > 0 && options
        ? html`<span class="legend-note"
            >Evidence weaker than ${Math.round(threshold * 100)} % of the limit (|value| &lt;
            ${formatNumber(threshold * Math.max(-options.domain[0], options.domain[1]))}) is not drawn.</span
          >`
        : nothing
    }
  </div>`;
}
