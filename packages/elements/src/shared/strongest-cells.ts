/**
 * The few strongest cells of a map without sorting it: O(n · k) for the small k of summaries and
 * cursors, so a 224 × 224 dense map stays within the repaint budget (core's `topPatches` sorts).
 */

/** A cell index and its value. */
export interface IndexedValue {
  readonly index: number;
  readonly value: number;
}

/**
 * The k largest (`most`) or smallest (`least`) values of `values`, strongest first; ties keep the
 * lower index first, as `EvidenceMap.topPatches`.
 */
export function strongestCells(values: ArrayLike<number>, k: number, order: 'most' | 'least'): IndexedValue[] {
  const sign = order === 'most' ? 1 : -1;
  const best: IndexedValue[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    if (best.length === k && sign * v <= sign * best[k - 1]!.value) continue;
    let at = best.length;
    while (at > 0 && sign * v > sign * best[at - 1]!.value) at--;
    best.splice(at, 0, { index: i, value: v });
    if (best.length > k) best.pop();
  }
  return best;
}
