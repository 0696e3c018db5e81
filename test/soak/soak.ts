/**
 * The soak run: class switches, image swaps, cancelled dense runs and element reconnections on the
 * soak page, with tfjs tensors and the garbage-collected JS heap measured after a warm-up and after
 * every phase. Used by test/node/soak.test.ts (CI) and test/soak/run.ts (full counts, figures).
 */
import type { SoakApi } from './api.js';
import type { SoakPage } from './harness.js';

export interface SoakCounts {
  readonly classSwitches: number;
  readonly imageSwaps: number;
  readonly abortedDenseRuns: number;
  readonly reconnects: number;
}

/** The counts. */
export const FULL_COUNTS: SoakCounts = { classSwitches: 1000, imageSwaps: 100, abortedDenseRuns: 50, reconnects: 20 };

export interface PhaseFigures {
  readonly phase: string;
  readonly count: number;
  readonly seconds: number;
  readonly tensors: number;
  /** JS heap after full GCs, bytes (includes V8's compiled code). */
  readonly heap: number;
  /**
   * The page's objects after full GCs (heap snapshot without compiled code and browser buffers),
   * bytes; `null` for a phase measured without a snapshot (see {@link SoakOptions}).
   */
  readonly objects: number | null;
  readonly gpuBytes: number;
}

export interface SoakFigures {
  readonly backend: string;
  readonly baseline: PhaseFigures;
  readonly phases: PhaseFigures[];
  readonly finishedDenseRuns: number;
  readonly problems: string[];
  /** Console warnings during the measured phases (after the warm-up), distinct, with counts. */
  readonly warnings: string[];
}

export interface SoakOptions {
  /**
   * A heap snapshot after every phase (to see which phase grew), instead of only after the
   * warm-up and the last phase, which is all the leak check compares. A snapshot of the page
   * costs seconds; CI takes two.
   */
  readonly objectsEveryPhase?: boolean;
}

type Win = Window & { soak: SoakApi };

// The page's operations (puppeteer sends each function's text to the page; no eval there).
const classSwitches = (p: SoakPage, n: number) =>
  p.page.evaluate((k) => (window as unknown as Win).soak.classSwitches(k), n);
const imageSwaps = (p: SoakPage, n: number) => p.page.evaluate((k) => (window as unknown as Win).soak.imageSwaps(k), n);
const abortedDenseRuns = (p: SoakPage, n: number) =>
  p.page.evaluate((k) => (window as unknown as Win).soak.abortedDenseRuns(k), n);
const reconnects = (p: SoakPage, n: number) => p.page.evaluate((k) => (window as unknown as Win).soak.reconnects(k), n);

export async function runSoak(
  p: SoakPage,
  backend: string,
  counts: SoakCounts,
  options: SoakOptions = {},
): Promise<SoakFigures> {
  const measure = async (phase: string, count: number, seconds: number, snapshot: boolean): Promise<PhaseFigures> => {
    const heap = await p.heap();
    const objects = snapshot ? await p.objects() : null;
    const m = await p.page.evaluate(() => (window as unknown as Win).soak.memory());
    return { phase, count, seconds, tensors: m.tensors, heap, objects, gpuBytes: m.gpuBytes };
  };

  await p.page.evaluate((b) => (window as unknown as Win).soak.setup(b), backend);
  // Warm-up: every code path once, so tfjs kernels, shader programs and lit templates exist.
  // Long enough for V8 to have optimised the hot paths (its compiled code counts in the heap).
  await classSwitches(p, 200);
  await imageSwaps(p, 12);
  await abortedDenseRuns(p, 4);
  await reconnects(p, 4);
  await classSwitches(p, 200);
  const baseline = await measure('baseline (after warm-up)', 0, 0, true);
  const warningsBefore = p.warnings.length;

  const phases: PhaseFigures[] = [];
  let finishedDenseRuns = 0;
  const phase = async (
    name: string,
    count: number,
    run: () => Promise<{ ms: number; finished?: number }>,
    last = false,
  ) => {
    const r = await run();
    finishedDenseRuns += r.finished ?? 0;
    phases.push(await measure(name, count, r.ms / 1000, last || options.objectsEveryPhase === true));
  };
  await phase('class switches', counts.classSwitches, () => classSwitches(p, counts.classSwitches));
  await phase('image swaps', counts.imageSwaps, () => imageSwaps(p, counts.imageSwaps));
  await phase('aborted dense runs', counts.abortedDenseRuns, () => abortedDenseRuns(p, counts.abortedDenseRuns));
  await phase('connects/disconnects', counts.reconnects, () => reconnects(p, counts.reconnects), true);
  const counted = new Map<string, number>();
  for (const w of p.warnings.slice(warningsBefore)) counted.set(w, (counted.get(w) ?? 0) + 1);
  const warnings = [...counted].map(([w, n]) => `${n}× ${w}`);
  return { backend, baseline, phases, finishedDenseRuns, problems: [...p.problems], warnings };
}

/** A table of the figures, for logs and the report. */
export function formatFigures(f: SoakFigures): string {
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  const objects = (r: PhaseFigures) =>
    r.objects === null || f.baseline.objects === null
      ? `objects ${'—'.padStart(9)}`
      : `objects ${kb(r.objects).padStart(9)} (${r.objects - f.baseline.objects >= 0 ? '+' : ''}${kb(r.objects - f.baseline.objects)})`;
  const rows = [f.baseline, ...f.phases].map(
    (r) =>
      `${r.phase.padEnd(26)} ${String(r.count).padStart(5)}  ${r.seconds.toFixed(1).padStart(6)} s  ` +
      `tensors ${String(r.tensors).padStart(4)} (${r.tensors - f.baseline.tensors >= 0 ? '+' : ''}${r.tensors - f.baseline.tensors})  ` +
      `heap ${kb(r.heap).padStart(9)} (${r.heap - f.baseline.heap >= 0 ? '+' : ''}${kb(r.heap - f.baseline.heap)})  ` +
      `${objects(r)}  ` +
      `gpu ${kb(r.gpuBytes)}`,
  );
  return [
    `soak on ${f.backend}:`,
    ...rows,
    `dense runs that finished instead of being cancelled: ${f.finishedDenseRuns}`,
    `console errors: ${f.problems.length}; warnings: ${f.warnings.length === 0 ? 'none' : f.warnings.join(' | ')}`,
  ].join('\n');
}
