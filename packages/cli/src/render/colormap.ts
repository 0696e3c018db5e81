/**
 * The diverging colormap of evidence heatmaps: ColorBrewer RdBu reversed (blue = evidence against
 * the class, near-white = none, red = evidence for), as the paper's figures and the reference's
 * `plot_heatmap` (matplotlib `RdBu_r`), as a 256-entry lookup table.
 */

/** ColorBrewer RdBu (11 classes), from blue (negative) to red (positive). */
const STOPS: readonly (readonly [number, number, number])[] = [
  [0x05, 0x30, 0x61],
  [0x21, 0x66, 0xac],
  [0x43, 0x93, 0xc3],
  [0x92, 0xc5, 0xde],
  [0xd1, 0xe5, 0xf0],
  [0xf7, 0xf7, 0xf7],
  [0xfd, 0xdb, 0xc7],
  [0xf4, 0xa5, 0x82],
  [0xd6, 0x60, 0x4d],
  [0xb2, 0x18, 0x2b],
  [0x67, 0x00, 0x1f],
];

/** 256 RGB entries, interleaved; entry 0 is the most negative value, 255 the most positive. */
export const DIVERGING_LUT: Uint8Array = (() => {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (STOPS.length - 1);
    const k = Math.min(STOPS.length - 2, Math.floor(t));
    const f = t - k;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(STOPS[k]![c]! * (1 - f) + STOPS[k + 1]![c]! * f);
  }
  return lut;
})();

/** The LUT index of `value` on the symmetric scale [−limit, +limit] (clipped). */
export function lutIndex(value: number, limit: number): number {
  const t = (Math.max(-limit, Math.min(limit, value)) / limit + 1) / 2;
  return Math.round(t * 255);
}
