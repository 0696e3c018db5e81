/**
 * The `--json` document of `bagnet explain`:
 *
 * ```
 * { "logits": [C numbers],
 *   "logitMap": { "shape": [h, w, C], "data": [h·w·C numbers, row-major] },
 *   "top": [{ "index", "label", "logit", "probability" }, ...],
 *   "evidence": { "class", "label", "logit", "bias",
 *                 "clip": { "percentile", "limit" },
 *                 "for": { "sum", "patches" }, "against": { "sum", "patches" },
 *                 "contribution": [h·w], "rank": [h·w], "share": [h·w] },
 *   "heatmap": { "class", "shape": [H, W], "data": [H·W numbers, row-major],
 *                "clip": { "percentile", "limit" } },   (--dense only)
 *   "robustness": { ... } }   (--robust only; see robustness-json.ts)
 * ```
 *
 * `evidence` is core's `ClassEvidence` of the explained class, as every view shows it: each patch's
 * contribution to the class logit `(E − bias) / cells`, its rank (1 = most evidence for the class;
 * equal contributions in row-major cell order) and its signed share of all evidence; the colour
 * scale's clip limit (the 99th percentile of |map| by default, as the authors' `plot_heatmap`).
 *
 * Map values are float32 values written as the shortest decimal that reads back to the same
 * float32, which keeps large maps compact without losing anything; derived values (contribution,
 * share, sums, clip limits) are float64 and written as the shortest decimal that reads back to
 * the same float64, so a reader gets exactly core's numbers.
 */
import type { ClassEvidence, ClassScore, ClipScale, EvidenceMap } from '@bagnet-vis/core';

/** A dense heatmap for the document: one value per pixel of the explained image. */
export interface HeatmapJson {
  readonly classIndex: number;
  readonly height: number;
  readonly width: number;
  readonly data: Float32Array;
  /** Its colour scale (core's `clipScale` of `data`). */
  readonly clip: ClipScale;
}

/** The shortest decimal that reads back to the float64 `x` (`null` for non-finite values). */
export function float64Json(x: number): string {
  return Number.isFinite(x) ? String(x) : 'null';
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

function array(values: ArrayLike<number>, format: (x: number) => string = float32Json): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) parts[i] = format(values[i]!);
  return `[${parts.join(',')}]`;
}

function clipJson(clip: ClipScale): string {
  return `{"percentile":${float64Json(clip.percentile)},"limit":${float64Json(clip.limit)}}`;
}

function classEvidenceJson(c: ClassEvidence): string {
  const { split } = c;
  return (
    `{"class":${c.classIndex},"label":${JSON.stringify(c.label)},"logit":${float32Json(c.logit)},"bias":${float32Json(c.bias)},` +
    `"clip":${clipJson(c.clip())},` +
    `"for":{"sum":${float64Json(split.positive)},"patches":${split.positiveCount}},` +
    `"against":{"sum":${float64Json(split.negative)},"patches":${split.negativeCount}},` +
    `"contribution":${array(c.contributions, float64Json)},"rank":${array(c.ranks, String)},"share":${array(c.shares, float64Json)}}`
  );
}

/**
 * The JSON text (compact, one trailing newline). `classIndex`: the class whose evidence is
 * detailed (default: the top class).
 */
export function explanationJson(
  evidence: EvidenceMap,
  top: readonly ClassScore[],
  heatmap?: HeatmapJson,
  robustness?: string,
  classIndex = evidence.topClasses(1)[0]!.index,
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
    `"evidence":${classEvidenceJson(evidence.classEvidence(classIndex))}`,
  ];
  if (heatmap !== undefined) {
    parts.push(
      `"heatmap":{"class":${heatmap.classIndex},"shape":[${heatmap.height},${heatmap.width}],"data":${array(heatmap.data)},"clip":${clipJson(heatmap.clip)}}`,
    );
  }
  if (robustness !== undefined) parts.push(`"robustness":${robustness}`);
  return `{${parts.join(',')}}\n`;
}
