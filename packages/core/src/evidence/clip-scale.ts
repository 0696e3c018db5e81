/**
 * The colour scale of an evidence heatmap and its clip rule, as the authors' `plot_heatmap`:
 * symmetric limits `[−L, L]` around zero with `L = np.percentile(np.abs(map), 99)`, so one
 * outlier patch does not wash out the rest. Every view that colours evidence (elements, CLI PNG,
 * tfjs-vis) takes its limits from here; a shared scale makes several maps comparable.
 */
/** The authors' clip percentile (`plot_heatmap(..., percentile=99)`). */
export const DEFAULT_CLIP_PERCENTILE = 99;

/** Colour limits `[low, high]` in logit units; a diverging map keeps zero at its centre. */
export type EvidenceDomain = readonly [low: number, high: number];

/** A symmetric colour scale: values beyond ±`limit` saturate. */
export interface ClipScale {
  /** The percentile of |value| the scale was clipped at (0–100). */
  readonly percentile: number;
  /** That percentile of |value| (0 for an all-zero or empty map). */
  readonly limit: number;
  /** `[−limit, limit]`, widened to a tiny positive width when `limit` is 0 so it can be drawn. */
  readonly domain: EvidenceDomain;
}

/** The smallest drawable half-width of a domain (an all-zero map still gets a scale). */
const MIN_HALF_WIDTH = 1e-12;

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/** Rearranges `a[lo..hi]` so that a[k] is the k-th smallest value (Hoare quickselect, in place). */
function select(a: Float64Array, k: number, lo: number, hi: number): number {
  while (hi > lo) {
    // Median of three as pivot keeps sorted and constant inputs linear.
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[mid]! < a[hi]!) swap(a, mid, hi);
    const pivot = a[hi]!;
    let i = lo - 1;
    let j = hi;
    for (;;) {
      do i++;
      while (a[i]! < pivot);
      do j--;
      while (j > lo && a[j]! > pivot);
      if (i >= j) break;
      swap(a, i, j);
    }
    swap(a, i, hi);
    if (i === k) return a[k]!;
    if (i < k) lo = i + 1;
    else hi = i - 1;
  }
  return a[k]!;
}

/**
 * The `percentile`-th percentile (0–100, clamped; not a number: 100) of |values| over the finite
 * entries, with NumPy's default linear interpolation between order statistics
 * (`np.percentile(np.abs(v), p)`). Non-finite entries (NaN marks "no patch here") are skipped; 0
 * when none is left. O(n): quickselect on a float64 copy.
 */
export function absPercentile(values: ArrayLike<number>, percentile: number): number {
  const abs = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) abs[n++] = Math.abs(v);
  }
  if (n === 0) return 0;
  const p = Math.min(100, Math.max(0, Number.isFinite(percentile) ? percentile : 100));
  const rank = (p / 100) * (n - 1);
  const below = Math.floor(rank);
  const low = select(abs, below, 0, n - 1);
  if (below + 1 >= n || rank === below) return low;
  // After select, everything right of `below` is ≥ low: the next order statistic is their minimum.
  let next = Infinity;
  for (let i = below + 1; i < n; i++) if (abs[i]! < next) next = abs[i]!;
  return low + (rank - below) * (next - low);
}

/** A percentile as given by a user (attribute, flag): clamped to 0–100, not a number → the default. */
export function clipPercentileOf(percentile: unknown): number {
  const p = typeof percentile === 'number' ? percentile : Number(percentile);
  return percentile === null || percentile === undefined || percentile === '' || !Number.isFinite(p)
    ? DEFAULT_CLIP_PERCENTILE
    : Math.min(100, Math.max(0, p));
}

function scaleOf(limit: number, percentile: number): ClipScale {
  const l = limit > 0 && Number.isFinite(limit) ? limit : MIN_HALF_WIDTH;
  return { percentile, limit: Number.isFinite(limit) ? limit : 0, domain: [-l, l] };
}

/**
 * The colour scale of one map (a class's patch logits or a dense heatmap): symmetric at the
 * `percentile`-th percentile of |value| (default 99, as the authors' `plot_heatmap`).
 */
export function clipScale(values: ArrayLike<number>, percentile = DEFAULT_CLIP_PERCENTILE): ClipScale {
  const p = clipPercentileOf(percentile);
  return scaleOf(absPercentile(values, p), p);
}

/**
 * One colour scale for several maps (e.g. to compare images or views): the widest of their clip
 * limits, so no map saturates earlier than it would alone.
 */
export function sharedClipScale(maps: Iterable<ArrayLike<number>>, percentile = DEFAULT_CLIP_PERCENTILE): ClipScale {
  const p = clipPercentileOf(percentile);
  let limit = 0;
  for (const values of maps) limit = Math.max(limit, absPercentile(values, p));
  return scaleOf(limit, p);
}

/** {@link sharedClipScale} of one class's patch logits over several evidence maps (`EvidenceMap`s). */
export function sharedClassClipScale(
  maps: Iterable<{ classMap(classIndex: number): ArrayLike<number> }>,
  classIndex: number,
  percentile = DEFAULT_CLIP_PERCENTILE,
): ClipScale {
  return sharedClipScale(
    Array.from(maps, (m) => m.classMap(classIndex)),
    percentile,
  );
}
