/**
 * Paints an evidence map into RGBA pixels through a colormap LUT: one table read per value, no
 * per-cell drawing calls. Weak or hidden evidence is transparent, so the image shows through.
 */
import type { Colormap } from '../shared/colormap.js';
import type { EvidenceDomain } from '@bagnet-vis/core';

/** Which evidence a heatmap shows: both signs, or only evidence for / against the class. */
export type EvidenceSign = 'all' | 'positive' | 'negative';

export const EVIDENCE_SIGNS: readonly EvidenceSign[] = ['all', 'positive', 'negative'];

/** How values map to colours. */
export interface PaintOptions {
  readonly colormap: Colormap;
  /** Colour limits; diverging maps put zero at their centre even for asymmetric limits. */
  readonly domain: EvidenceDomain;
  readonly sign: EvidenceSign;
  /** Values with |v| below this fraction of their side's limit are transparent (0–1). */
  readonly threshold: number;
}

/**
 * The LUT position (0–255, fractional) and visibility of `value`; the single source of the
 * value → colour rule, used by the painter, the legend and tests.
 */
export function lutPosition(value: number, options: PaintOptions): number | null {
  const { domain, sign, threshold, colormap } = options;
  if (!Number.isFinite(value)) return null;
  if ((sign === 'positive' && value <= 0) || (sign === 'negative' && value >= 0)) return null;
  const low = Math.min(domain[0], 0);
  const high = Math.max(domain[1], 0);
  const side = value >= 0 ? high : -low;
  if (threshold > 0 && Math.abs(value) < threshold * side) return null;
  if (colormap.kind === 'diverging') {
    const t = value >= 0 ? (high > 0 ? value / high : 0) : low < 0 ? value / -low : 0;
    return 127.5 + 127.5 * Math.max(-1, Math.min(1, t));
  }
  // Sequential: the full range, or the magnitude for a single sign.
  const [from, to, v] =
    sign === 'positive' ? [0, high, value] : sign === 'negative' ? [0, -low, -value] : [domain[0], domain[1], value];
  const t = to > from ? (v - from) / (to - from) : 0.5;
  return 255 * Math.max(0, Math.min(1, t));
}

/**
 * Writes `values` (row-major) into `out` (RGBA, 4 bytes per value) through the colormap LUT.
 * Hidden values are written transparent.
 */
export function paintEvidence(out: Uint8ClampedArray, values: Float32Array, options: PaintOptions): void {
  const n = values.length;
  if (out.length < n * 4) throw new RangeError(`paintEvidence: ${out.length} bytes for ${n} values.`);
  // 32-bit views: one store per pixel. Both views share the platform's byte order, so copying
  // LUT words to pixel words keeps R, G, B, A in place.
  const lut = new Uint32Array(options.colormap.lut.buffer, options.colormap.lut.byteOffset, 256);
  const pixels = new Uint32Array(out.buffer, out.byteOffset, n);
  const { domain, sign, threshold, colormap } = options;
  const low = Math.min(domain[0], 0);
  const high = Math.max(domain[1], 0);
  const posHidden = sign === 'negative';
  const negHidden = sign === 'positive';
  const posCut = threshold * high;
  const negCut = threshold * -low;
  if (colormap.kind === 'diverging') {
    const posScale = high > 0 ? 127.5 / high : 0;
    const negScale = low < 0 ? 127.5 / -low : 0;
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      let idx: number;
      if (v > 0) {
        if (posHidden || v < posCut) {
          pixels[i] = 0;
          continue;
        }
        idx = 127.5 + v * posScale;
      } else if (v < 0) {
        if (negHidden || -v < negCut) {
          pixels[i] = 0;
          continue;
        }
        idx = 127.5 + v * negScale;
      } else if (v === 0 && !posHidden && !negHidden && threshold <= 0) idx = 127.5;
      else {
        pixels[i] = 0; // zero with a sign filter or threshold, or NaN
        continue;
      }
      pixels[i] = lut[idx >= 255 ? 255 : idx <= 0 ? 0 : Math.round(idx)]!;
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const pos = lutPosition(values[i]!, options);
    pixels[i] = pos === null ? 0 : lut[Math.round(pos)]!;
  }
}
