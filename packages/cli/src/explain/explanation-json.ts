/**
 * The `--json` document of `bagnet explain`:
 *
 * ```
 * { "logits": [C numbers],
 *   "logitMap": { "shape": [h, w, C], "data": [h·w·C numbers, row-major] },
 *   "top": [{ "index", "label", "logit", "probability" }, ...],
 *   "heatmap": { "class", "shape": [H, W], "data": [H·W numbers, row-major] },   (--dense only)
 *   "robustness": { ... } }   (--robust only; see robustness-json.ts)
 * ```
 *
 * Numbers are float32 values written as the shortest decimal that reads back to the same float32,
 * which keeps large maps compact without losing anything.
 */
import type { ClassScore, EvidenceMap } from '@bagnet-vis/core';

/** A dense heatmap for the document: one value per pixel of the explained image. */
export interface HeatmapJson {
  readonly classIndex: number;
  readonly height: number;
  readonly width: number;
  readonly data: Float32Array;
}

/** The shortest decimal that rounds to the float32 `x` (`null` for non-finite values). */
export function float32Json(x: number): string {
  if (!Number.isFinite(x)) return 'null';
  // A float32 needs at most 9 significant digits; 6 or fewer round-trip only for "short" values,
  // for which the 6-digit form, parsed, prints as the short one.
  for (let p = 6; p < 9; p++) {
    const v = Number(x.toPrecision(p));
    if (Math.fround(v) === x) return String(v);
  }
  return String(Number(x.toPrecision(9)));
}

function array(values: ArrayLike<number>): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) parts[i] = float32Json(values[i]!);
  return `[${parts.join(',')}]`;
}

/** The JSON text (compact, one trailing newline). */
export function explanationJson(
  evidence: EvidenceMap,
  top: readonly ClassScore[],
  heatmap?: HeatmapJson,
  robustness?: string,
): string {
  const { rows, cols } = evidence.geometry;
  const topJson = top.map(
    (t) =>
      `{"index":${t.index},"label":${JSON.stringify(t.label)},"logit":${float32Json(t.logit)},"probability":${float32Json(t.probability)}}`,
  );
  const parts = [
    `"logits":${array(evidence.logits)}`,
    `"logitMap":{"shape":[${rows},${cols},${evidence.numClasses}],"data":${array(evidence.logitMap)}}`,
    `"top":[${topJson.join(',')}]`,
  ];
  if (heatmap !== undefined) {
    parts.push(
      `"heatmap":{"class":${heatmap.classIndex},"shape":[${heatmap.height},${heatmap.width}],"data":${array(heatmap.data)}}`,
    );
  }
  if (robustness !== undefined) parts.push(`"robustness":${robustness}`);
  return `{${parts.join(',')}}\n`;
}
