/**
 * The heap growth a fuzz run may show. The only growth left is tfjs-layers' global map of layer
 * variable names (an entry per weight of every model built, upstream tensorflow/tfjs#8459): the
 * 100,000-case run measured ~42 MiB over its 50,000 model.json cases (~0.86 KiB per case), a
 * 6,000-case model.json run 5.0 MiB over 5,500 cases after the warm-up (~0.93 KiB per case);
 * checkpoint cases build no model unless the file converts. The bound is 8 MiB (GC noise, caches
 * warmed after the first sample) plus 1.5 KiB per case; the runs fail past it.
 */
export const HEAP_GROWTH_BASE_BYTES = 8 * 2 ** 20;
export const HEAP_GROWTH_PER_CASE_BYTES = 1536;

/** Most heap growth (after full GCs) allowed over `cases` cases. */
export function heapGrowthBound(cases: number): number {
  return HEAP_GROWTH_BASE_BYTES + HEAP_GROWTH_PER_CASE_BYTES * cases;
}
