/**
 * The `"robustness"` member of `bagnet explain --json` (with `--robust <px>`): core's
 * `patchRobustness` result as JSON, with class labels added.
 *
 * ```
 * "robustness": { "method", "patchPx", "threshold", "clipping": { "kind", "lower", "upper", ... },
 *   "window": [rows, cols], "positions": [rows, cols],
 *   "topClass", "topLabel", "defendedClass", "defendedLabel", "certified", "margin",
 *   "worstWindow": { "row", "col", "rows", "cols", "rect": { "x", "y", "width", "height" },
 *                    "rivalClass", "rivalLabel", "topBound", "rivalBound", "margin" },
 *   "clippedEvidence": [C], "defendedEvidence": [C],
 *   "windowMargins": { "shape": [rows, cols], "data": [...] } }
 * ```
 *
 * Evidence values are means over cells (like logits); an unbounded clipping limit is `null`.
 */
import type { PatchRobustness } from '@bagnet-vis/core';

import { float32Json } from './explanation-json.js';

function array(values: ArrayLike<number>): string {
  return `[${Array.from(values, (v) => float32Json(Math.fround(v))).join(',')}]`;
}

function number(v: number): string {
  return float32Json(Math.fround(v));
}

/** The JSON text of one certificate (no trailing newline). */
export function robustnessJson(r: PatchRobustness, labels: readonly string[]): string {
  const w = r.worstWindow;
  const clipping = Object.entries(r.clipping)
    .map(
      ([k, v]) =>
        `${JSON.stringify(k)}:${typeof v === 'number' ? (Number.isFinite(v) ? v : 'null') : JSON.stringify(v)}`,
    )
    .join(',');
  return (
    `{"method":${JSON.stringify(r.method)},"patchPx":${r.patchPx},"threshold":${r.threshold},` +
    `"clipping":{${clipping}},"window":[${r.windowRows},${r.windowCols}],"positions":[${r.positionRows},${r.positionCols}],` +
    `"topClass":${r.topClass},"topLabel":${JSON.stringify(labels[r.topClass])},` +
    `"defendedClass":${r.defendedClass},"defendedLabel":${JSON.stringify(labels[r.defendedClass])},` +
    `"certified":${r.certified},"margin":${number(r.margin)},` +
    `"worstWindow":{"row":${w.row},"col":${w.col},"rows":${w.rows},"cols":${w.cols},` +
    `"rect":{"x":${w.rect.x},"y":${w.rect.y},"width":${w.rect.width},"height":${w.rect.height}},` +
    `"rivalClass":${w.rivalClass},"rivalLabel":${JSON.stringify(labels[w.rivalClass])},` +
    `"topBound":${number(w.topBound)},"rivalBound":${number(w.rivalBound)},"margin":${number(w.margin)}},` +
    `"clippedEvidence":${array(r.clippedEvidence)},"defendedEvidence":${array(r.defendedEvidence)},` +
    `"windowMargins":{"shape":[${r.positionRows},${r.positionCols}],"data":${array(r.windowMargins)}}}`
  );
}

/** One line for the terminal (no newline), e.g. `robust masking, 32 px patch: certified (margin 0.41)`. */
export function robustnessLine(r: PatchRobustness, labels: readonly string[]): string {
  const w = r.worstWindow;
  const method = r.method === 'mask' ? 'robust masking (PatchGuard)' : 'clipping (Clipped BagNet)';
  const where =
    `worst window: cells rows ${w.row + 1}–${w.row + w.rows}, columns ${w.col + 1}–${w.col + w.cols} ` +
    `(image x ${w.rect.x}–${w.rect.x + w.rect.width}, y ${w.rect.y}–${w.rect.y + w.rect.height}), ` +
    `closest rival '${labels[w.rivalClass] ?? w.rivalClass}'`;
  return (
    `${method}, ${r.patchPx}×${r.patchPx} px patch anywhere: '${labels[r.topClass] ?? r.topClass}' ` +
    `${r.certified ? 'CERTIFIED' : 'NOT certified'} (margin ${r.margin.toFixed(4)}); ${where}`
  );
}
