/**
 * A small SVG plot for the analyses: lines with markers (and an optional band) or scatter points,
 * linear axes with round ticks, a legend, an optional y = x diagonal. The marker shape tells the
 * series apart as well as the colour, and the SVG carries a text summary for screen readers.
 */

const NS = 'http://www.w3.org/2000/svg';

/** One series. */
export interface PlotSeries {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
  readonly color: string;
  readonly marker: 'circle' | 'square' | 'cross';
  /** Joins the points with a line (in order). */
  readonly line?: boolean;
  readonly dashed?: boolean;
  /** A shaded band around the line: low and high y per x. */
  readonly band?: readonly { readonly x: number; readonly low: number; readonly high: number }[];
}

/** What to draw. */
export interface PlotSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly PlotSeries[];
  /** The text a screen reader reads instead of the picture. */
  readonly summary: string;
  /** Draws y = x (for "joint vs sum" plots); the axes then share one range. */
  readonly diagonal?: boolean;
  /** Includes 0 in the y range (default true). */
  readonly yZero?: boolean;
  /** Corner of the legend (default `top-right`). */
  readonly legend?: 'top-left' | 'top-right' | 'bottom-right';
}

const WIDTH = 460;
const HEIGHT = 300;
const MARGIN = { left: 54, right: 14, top: 30, bottom: 42 };

function el<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function extent(values: number[], zero: boolean): [number, number] {
  let lo = Math.min(...values, ...(zero ? [0] : []));
  let hi = Math.max(...values, ...(zero ? [0] : []));
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi - lo < 1e-9) {
    lo -= 1;
    hi += 1;
  }
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

const label = (v: number) => (Math.abs(v) < 1e-9 ? '0' : String(Number(v.toPrecision(3))).replace('-', '−'));

function marker(kind: PlotSeries['marker'], x: number, y: number, color: string): SVGElement {
  if (kind === 'circle') return el('circle', { cx: x, cy: y, r: 3.2, fill: color, 'fill-opacity': 0.85 });
  if (kind === 'square') {
    return el('rect', { x: x - 3, y: y - 3, width: 6, height: 6, fill: '#fff', stroke: color, 'stroke-width': 1.5 });
  }
  return el('path', {
    d: `M${x - 3},${y - 3}L${x + 3},${y + 3}M${x - 3},${y + 3}L${x + 3},${y - 3}`,
    stroke: color,
    'stroke-width': 1.6,
  });
}

/** Draws `spec` as a new `<svg role="img">`. */
export function drawPlot(spec: PlotSpec): SVGSVGElement {
  const xs = spec.series.flatMap((s) => s.points.map((p) => p.x));
  const ys = spec.series.flatMap((s) => [
    ...s.points.map((p) => p.y),
    ...(s.band ?? []).flatMap((b) => [b.low, b.high]),
  ]);
  let [x0, x1] = extent(xs, false);
  let [y0, y1] = extent(ys, spec.yZero ?? true);
  if (spec.diagonal) {
    x0 = y0 = Math.min(x0, y0);
    x1 = y1 = Math.max(x1, y1);
  }
  const left = MARGIN.left;
  const right = WIDTH - MARGIN.right;
  const top = MARGIN.top;
  const bottom = HEIGHT - MARGIN.bottom;
  const sx = (x: number) => left + ((x - x0) / (x1 - x0)) * (right - left);
  const sy = (y: number) => bottom - ((y - y0) / (y1 - y0)) * (bottom - top);

  const svg = el('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': spec.summary });
  svg.append(el('title', {}, spec.summary));
  svg.append(el('text', { x: left, y: 16, class: 'title' }, spec.title));

  const grid = el('g', { class: 'grid' });
  const axes = el('g', { class: 'axis' });
  for (const t of niceTicks(x0, x1)) {
    grid.append(el('line', { x1: sx(t), x2: sx(t), y1: top, y2: bottom }));
    axes.append(el('line', { x1: sx(t), x2: sx(t), y1: bottom, y2: bottom + 4 }));
    axes.append(el('text', { x: sx(t), y: bottom + 15, 'text-anchor': 'middle' }, label(t)));
  }
  for (const t of niceTicks(y0, y1)) {
    grid.append(el('line', { x1: left, x2: right, y1: sy(t), y2: sy(t) }));
    axes.append(el('line', { x1: left - 4, x2: left, y1: sy(t), y2: sy(t) }));
    axes.append(el('text', { x: left - 7, y: sy(t) + 3.5, 'text-anchor': 'end' }, label(t)));
  }
  axes.append(el('path', { d: `M${left},${top}V${bottom}H${right}`, fill: 'none' }));
  axes.append(el('text', { x: (left + right) / 2, y: HEIGHT - 6, 'text-anchor': 'middle' }, spec.xLabel));
  axes.append(
    el(
      'text',
      { x: 0, y: 0, transform: `translate(13 ${(top + bottom) / 2}) rotate(-90)`, 'text-anchor': 'middle' },
      spec.yLabel,
    ),
  );
  svg.append(grid, axes);
  if (y0 < 0 && y1 > 0) {
    svg.append(el('line', { x1: left, x2: right, y1: sy(0), y2: sy(0), stroke: '#8c959f', 'stroke-width': 0.8 }));
  }
  if (spec.diagonal) {
    svg.append(
      el('line', { x1: sx(x0), y1: sy(x0), x2: sx(x1), y2: sy(x1), stroke: '#8c959f', 'stroke-dasharray': '4 3' }),
    );
  }

  const data = el('g', {});
  for (const s of spec.series) {
    if (s.band && s.band.length > 1) {
      const upper = s.band.map((b) => `${sx(b.x)},${sy(b.high)}`);
      const lower = [...s.band].reverse().map((b) => `${sx(b.x)},${sy(b.low)}`);
      data.append(el('polygon', { points: [...upper, ...lower].join(' '), fill: s.color, 'fill-opacity': 0.13 }));
    }
    if (s.line && s.points.length > 1) {
      data.append(
        el('polyline', {
          points: s.points.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' '),
          fill: 'none',
          stroke: s.color,
          'stroke-width': 1.8,
          ...(s.dashed && { 'stroke-dasharray': '5 3' }),
        }),
      );
    }
    for (const p of s.points) data.append(marker(s.marker, sx(p.x), sy(p.y), s.color));
  }
  svg.append(data);

  // Legend, in a corner of the plot area.
  const width = 12 + Math.max(...spec.series.map((s) => s.name.length)) * 6.1;
  const corner = spec.legend ?? 'top-right';
  const lx = corner === 'top-left' ? left + width + 14 : right - 8;
  const ly = corner === 'bottom-right' ? bottom - spec.series.length * 16 - 8 : top + 8;
  const legend = el('g', { transform: `translate(${lx} ${ly})` });
  legend.append(
    el('rect', {
      x: -width - 8,
      y: -4,
      width: width + 12,
      height: spec.series.length * 16 + 6,
      fill: '#fff',
      'fill-opacity': 0.9,
      stroke: '#d1d9e0',
      rx: 3,
    }),
  );
  spec.series.forEach((s, i) => {
    const y = 8 + i * 16;
    legend.append(marker(s.marker, -width + 2, y, s.color));
    legend.append(el('text', { x: -width + 12, y: y + 4, style: 'fill: #1f2328' }, s.name));
  });
  svg.append(legend);
  return svg;
}
