/**
 * The paper's analyses on the default model, run in the browser with core's `maskingCurve` and
 * `logitLinearity` over one test image per class, drawn as two small SVG plots:
 *
 * - masking: the true-class logit as the k patches with the most evidence (ranked by the model's
 *   own heatmap) are masked, against k random patches. Plotted against the share of the image
 *   masked, not against k: at stride 2 the 11×11 patches overlap heavily and the top-ranked ones
 *   cluster, so k informed patches cover far fewer pixels than k random ones — per pixel masked,
 *   informed masking destroys the evidence much faster. The informed curve is core's
 *   `maskingCurve`; the random one is the same protocol (k random cells, union masked) with the
 *   area of each draw recorded, from core's building blocks;
 * - logit linearity: four small squares masked one at a time and together. When no patch of the
 *   model sees two of them (at least q − 1 px apart) the joint change of every logit is exactly the
 *   sum of the single changes (points on the diagonal); squares that touch share patches, and the
 *   sum no longer holds.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  bagnetClassifier,
  logitLinearity,
  maskingCurve,
  occlude,
  randomPermutation,
  readAnalysisImage,
  seededRandom,
} from '@bagnet-vis/core';
import type { BagNet, PatchRect } from '@bagnet-vis/core';

import type { BackendPicker } from './backend-picker.js';
import { formatDuration } from './format.js';
import { errorMessage } from './messages.js';
import { make } from './page-elements.js';
import { drawPlot } from './svg-plot.js';

/** Numbers of masked patches (of the 81 cells of a 28×28 image). */
const KS = [0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 81];
const RANDOM_TRIALS = 5;
/** Share of the image at which the note compares the two curves. */
const COMPARE_AT = 0.25;
/** Side of the squares of the linearity test, px. */
const SQUARE = 4;

/** One image of the analyses and its true class. */
export interface AnalysedImage {
  readonly image: HTMLImageElement;
  readonly label: number;
}

export interface AnalysesParts {
  readonly section: HTMLElement;
  readonly button: HTMLButtonElement;
  readonly progress: HTMLProgressElement;
  readonly status: HTMLElement;
  readonly masking: HTMLElement;
  readonly linearity: HTMLElement;
}

/** Four squares `gap` px apart, centred in a `size`×`size` image. */
function squares(size: number, gap: number): PatchRect[] {
  const span = 2 * SQUARE + gap;
  const x0 = Math.floor((size - span) / 2);
  const at = [x0, x0 + SQUARE + gap];
  return at.flatMap((y) => at.map((x) => ({ x, y, width: SQUARE, height: SQUARE })));
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** The share of a `width`×`height` image that `rects` cover together. */
function coveredShare(rects: readonly PatchRect[], width: number, height: number): number {
  const covered = new Uint8Array(width * height);
  for (const r of rects)
    for (let y = r.y; y < r.y + r.height; y++) covered.fill(1, y * width + r.x, y * width + r.x + r.width);
  return covered.reduce((a, b) => a + b, 0) / covered.length;
}

/** y at `x` on the polyline through `points` (sorted by x), or NaN outside it. */
function interpolate(points: readonly { x: number; y: number }[], x: number): number {
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    if (x >= a.x && x <= b.x) return b.x === a.x ? b.y : a.y + ((x - a.x) / (b.x - a.x)) * (b.y - a.y);
  }
  return Number.NaN;
}

/** One masking curve: per entry of KS, the change of the class logit and the share masked. */
interface MaskingRun {
  readonly change: number[];
  readonly area: number[];
}

/**
 * The random baseline: for each trial a random order of the evidence-map cells, and for each k the
 * union of the first k cells masked (core's `occlude`, fill 0 = the dataset mean); one batched call.
 */
async function randomMasking(model: BagNet, image: HTMLImageElement, classIndex: number, seed: number) {
  const x = await model.preprocess(image);
  let pixels;
  try {
    pixels = await readAnalysisImage(x, 'random masking');
  } finally {
    x.dispose();
  }
  const { width, height, channels } = pixels;
  const g = model.geometry(height, width);
  const random = seededRandom(seed);
  const variants: PatchRect[][] = [[]];
  for (let t = 0; t < RANDOM_TRIALS; t++) {
    const order = Array.from(randomPermutation(g.size, random), (i) => g.cellRect(Math.floor(i / g.cols), i % g.cols));
    for (const k of KS) variants.push(order.slice(0, k));
  }
  const size = pixels.data.length;
  const batch = new Float32Array(variants.length * size);
  variants.forEach((rects, i) => batch.set(occlude(pixels, rects), i * size));
  const logits = tf.tidy(() => bagnetClassifier(model)(tf.tensor4d(batch, [variants.length, height, width, channels])));
  let values: Float32Array;
  try {
    values = (await logits.data()) as Float32Array;
  } finally {
    logits.dispose();
  }
  const logit = (i: number) => values[i * model.numClasses + classIndex]!;
  return Array.from({ length: RANDOM_TRIALS }, (_, t): MaskingRun => {
    const at = (j: number) => 1 + t * KS.length + j;
    return {
      change: KS.map((_, j) => logit(at(j)) - logit(0)),
      area: KS.map((_, j) => coveredShare(variants[at(j)]!, width, height)),
    };
  });
}

export class AnalysesSection {
  readonly #parts: AnalysesParts;
  readonly #picker: BackendPicker;

  constructor(parts: AnalysesParts, picker: BackendPicker, model: BagNet, images: () => readonly AnalysedImage[]) {
    this.#parts = parts;
    this.#picker = picker;
    parts.button.addEventListener('click', () => void this.run(model, images()));
  }

  async run(model: BagNet, images: readonly AnalysedImage[]): Promise<void> {
    const { section, button, progress, status } = this.#parts;
    const release = this.#picker.hold();
    button.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    section.dataset['state'] = 'running';
    const started = performance.now();
    const q = model.receptiveField;
    const steps = images.length * 3;
    const report = (step: number, fraction: number, what: string) => {
      progress.value = (step + fraction) / steps;
      status.textContent = what;
    };
    try {
      const informed: MaskingRun[] = [];
      const random: MaskingRun[] = [];
      const apart: { x: number; y: number }[] = [];
      const touching: { x: number; y: number }[] = [];
      let apartError = 0;
      let touchingError = 0;
      for (let i = 0; i < images.length; i++) {
        const { image, label } = images[i]!;
        await image.decode();
        const what = `image ${i + 1} of ${images.length}`;
        const curve = await maskingCurve(model, image, {
          classIndex: label,
          ks: KS,
          randomTrials: 0,
          batchSize: KS.length,
          onProgress: (p) => report(3 * i, 0.5 * p.fraction, `Masking patches of ${what}…`),
        });
        const [height, width] = [image.naturalHeight, image.naturalWidth];
        informed.push({
          change: KS.map((_, j) => curve.mostInformative[j]! - curve.baseline),
          area: KS.map((k) => coveredShare(curve.ranked.slice(0, k), width, height)),
        });
        random.push(...(await randomMasking(model, image, label, i)));
        report(3 * i, 1, `Masking patches of ${what}…`);
        const x = await model.preprocess(image);
        try {
          const size = Math.min(x.shape[1], x.shape[2]);
          for (const [step, gap, points] of [
            [1, q - 1, apart],
            [2, 0, touching],
          ] as const) {
            const result = await logitLinearity(bagnetClassifier(model), x, {
              patchSize: SQUARE,
              patches: squares(size, gap),
              onProgress: (p) => report(3 * i + step, p.fraction, `Masking squares of ${what}…`),
            });
            result.joint.forEach((joint, c) => points.push({ x: result.sumOfSingles[c]!, y: joint }));
            if (gap === 0) touchingError = Math.max(touchingError, result.relativeError);
            else apartError = Math.max(apartError, result.relativeError);
          }
        } finally {
          x.dispose();
        }
        await tf.nextFrame();
      }
      this.#drawMasking(informed, random, images.length);
      this.#drawLinearity(apart, touching, apartError, touchingError, q);
      status.textContent = `${images.length} images in ${formatDuration(performance.now() - started)}.`;
      section.dataset['state'] = 'done';
    } catch (e) {
      status.textContent = `The analyses failed: ${errorMessage(e)}`;
      section.dataset['state'] = 'error';
    } finally {
      progress.hidden = true;
      button.disabled = false;
      button.textContent = 'Run again';
      release();
    }
  }

  #drawMasking(informed: readonly MaskingRun[], random: readonly MaskingRun[], images: number): void {
    const curve = (runs: readonly MaskingRun[]) =>
      KS.map((_, j) => ({ x: 100 * mean(runs.map((r) => r.area[j]!)), y: mean(runs.map((r) => r.change[j]!)) }));
    const most = curve(informed);
    const rand = curve(random);
    // Band: ± the spread over the random draws of one image (its s.d.), averaged over the images.
    const band = KS.map((_, j) => {
      const sds = Array.from({ length: images }, (_, m) => {
        const changes = random.slice(m * RANDOM_TRIALS, (m + 1) * RANDOM_TRIALS).map((r) => r.change[j]!);
        const centre = mean(changes);
        return Math.sqrt(mean(changes.map((c) => (c - centre) ** 2)));
      });
      return { x: rand[j]!.x, low: rand[j]!.y - mean(sds), high: rand[j]!.y + mean(sds) };
    });
    const at = 100 * COMPARE_AT;
    const note =
      `With ${at} % of the image masked, the true-class logit changes by ${interpolate(most, at).toFixed(2)} when ` +
      `the most informative patches go first, by ${interpolate(rand, at).toFixed(2)} for random patches.`;
    this.#parts.masking.replaceChildren(
      drawPlot({
        title: 'Masking the most informative patches',
        xLabel: 'image area masked (%)',
        yLabel: 'change of the true-class logit',
        summary: `Masking plot over ${images} test images. ${note}`,
        series: [
          { name: 'most informative first', points: most, color: '#b2182b', marker: 'circle', line: true },
          { name: 'random patches', points: rand, color: '#2166ac', marker: 'square', line: true, dashed: true, band },
        ],
      }),
      make('p', { class: 'plot-note' }, note),
    );
  }

  #drawLinearity(
    apart: readonly { x: number; y: number }[],
    touching: readonly { x: number; y: number }[],
    apartError: number,
    touchingError: number,
    q: number,
  ): void {
    const note =
      `Squares ≥ ${q - 1} px apart: joint = sum up to ${(apartError * 100).toPrecision(1)} % of the largest change ` +
      `(float32 rounding). Touching squares: off by up to ${(touchingError * 100).toFixed(0)} %.`;
    this.#parts.linearity.replaceChildren(
      drawPlot({
        title: 'Logit linearity',
        xLabel: 'sum of the single-square changes',
        yLabel: 'change with all four masked',
        diagonal: true,
        legend: 'top-left',
        summary: `Logit linearity scatter plot. ${note}`,
        series: [
          { name: `≥ q − 1 = ${q - 1} px apart`, points: apart, color: '#1a7f37', marker: 'circle' },
          { name: 'touching (2×2 block)', points: touching, color: '#bc4c00', marker: 'cross' },
        ],
      }),
      make('p', { class: 'plot-note' }, note),
    );
  }
}
