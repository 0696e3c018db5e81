/**
 * Colour limits of an evidence map. As the reference `plot_heatmap`, the limits are symmetric
 * around zero at a percentile of |evidence| (`np.percentile(np.abs(heatmap), 99)`), so one
 * outlier patch does not wash out the rest; a shared `domain` makes several maps comparable.
 */
import type { EvidenceMap } from '@bagnet-vis/core';

/** Colour limits `[low, high]` in logit units; a diverging map keeps zero at its centre. */
export type EvidenceDomain = readonly [low: number, high: number];

/** Swaps a[i] and a[j]. */
function swap(a: Float32Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/** Rearranges `a` so that a[k] is the k-th smallest value (Hoare quickselect, in place). */
function select(a: Float32Array, k: number, lo = 0, hi = a.length - 1): number {
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
 * The `percentile`-th percentile (0–100) of |values|, with NumPy's default linear
 * interpolation between order statistics. O(n) (quickselect on a copy); NaNs count as 0.
 */
export function absPercentile(values: ArrayLike<number>, percentile: number): number {
  const n = values.length;
  if (n === 0) return 0;
  const p = Math.min(100, Math.max(0, Number.isFinite(percentile) ? percentile : 100));
  const abs = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = Math.abs(values[i]!);
    abs[i] = Number.isNaN(v) ? 0 : v;
  }
  const rank = (p / 100) * (n - 1);
  const below = Math.floor(rank);
  const low = select(abs, below);
  if (below + 1 >= n || rank === below) return low;
  // After select, everything right of `below` is ≥ low: the next order statistic is their minimum.
  let next = Infinity;
  for (let i = below + 1; i < n; i++) if (abs[i]! < next) next = abs[i]!;
  return low + (rank - below) * (next - low);
}

/** Symmetric limits `[−L, L]` with L the clip percentile of |values| (a tiny positive L for an all-zero map). */
export function clippedDomain(values: ArrayLike<number>, clipPercentile = 99): EvidenceDomain {
  const limit = absPercentile(values, clipPercentile);
  const l = limit > 0 && Number.isFinite(limit) ? limit : 1e-12;
  return [-l, l];
}

/**
 * One domain for several evidence maps of the same class (e.g. to compare images): the widest of
 * their clipped limits. Assign the result to each heatmap's `domain` property.
 */
export function sharedDomain(maps: Iterable<EvidenceMap>, classIndex: number, clipPercentile = 99): EvidenceDomain {
  let limit = 0;
  for (const map of maps) limit = Math.max(limit, clippedDomain(map.classMap(classIndex), clipPercentile)[1]);
  return [-limit, limit];
}
