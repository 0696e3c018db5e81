/**
 * The paper's analyses on the default model, run in the browser with core's `maskingByArea` and
 * `logitLinearity` over one test image per class, drawn as two small SVG plots:
 *
 * - masking: core's `maskingByArea` — the true-class logit as a growing share of the image is
 *   masked with the model's own patches, the most informative first, against the same share masked
 *   in random patch order (10 draws, drawn as a band from the lowest to the highest draw mean);
 *   the page shows core's numbers, including the gap between the curves;
 * - logit linearity: four small squares masked one at a time and together. When no patch of the
 *   model sees two of them (at least q − 1 px apart) the joint change of every logit is exactly the
 *   sum of the single changes (points on the diagonal); squares that touch share patches, and the
 *   sum no longer holds.
 */
import * as tf from '@tensorflow/tfjs-core';
import { bagnetClassifier, logitLinearity, maskFractionsForPatches, maskingByArea } from '@bagnet-vis/core';
import type { AreaMaskingResult, BagNet, PatchRect } from '@bagnet-vis/core';

import type { BackendPicker } from './backend-picker.js';
import { formatDuration } from './format.js';
import { errorMessage } from './messages.js';
import { make } from './page-elements.js';
import { drawPlot } from './svg-plot.js';

/** Random-order draws of the masking baseline. */
const RANDOM_DRAWS = 10;
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
    // Linearity on the first image of each class; masking on all of them.
    const firsts = images.filter((im, i) => images.findIndex((o) => o.label === im.label) === i);
    const steps = images.length + 2 * firsts.length;
    const report = (step: number, fraction: number, what: string) => {
      progress.value = (step + fraction) / steps;
      status.textContent = what;
    };
    try {
      for (const { image } of images) await image.decode();
      const maskingStarted = performance.now();
      const masking = await maskingByArea(
        model,
        images.map(({ image, label }) => ({ image, classIndex: label })),
        {
          draws: RANDOM_DRAWS,
          // From one patch's share of the 28×28 samples to half of them: smaller shares mask one patch alike.
          fractions: maskFractionsForPatches(
            model.geometry(images[0]!.image.naturalHeight, images[0]!.image.naturalWidth),
          ),
          onProgress: (p) =>
            report(0, p.fraction * images.length, `Masking patches: ${Math.round(p.fraction * 100)} %…`),
        },
      );
      const maskingMs = performance.now() - maskingStarted;
      const apart: { x: number; y: number }[] = [];
      const touching: { x: number; y: number }[] = [];
      let apartError = 0;
      let touchingError = 0;
      for (let i = 0; i < firsts.length; i++) {
        const { image } = firsts[i]!;
        const what = `image ${i + 1} of ${firsts.length}`;
        const x = await model.preprocess(image);
        try {
          const size = Math.min(x.shape[1], x.shape[2]);
          for (const [step, gap, points] of [
            [0, q - 1, apart],
            [1, 0, touching],
          ] as const) {
            const result = await logitLinearity(bagnetClassifier(model), x, {
              patchSize: SQUARE,
              patches: squares(size, gap),
              onProgress: (p) => report(images.length + 2 * i + step, p.fraction, `Masking squares of ${what}…`),
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
      this.#drawMasking(masking, maskingMs);
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

  #drawMasking(r: AreaMaskingResult, ms: number): void {
    const x = (j: number) => 100 * r.fractions[j]!;
    const most = Array.from(r.informed, (y, j) => ({ x: x(j), y }));
    const rand = Array.from(r.random, (y, j) => ({ x: x(j), y }));
    const band = rand.map((p, j) => ({ x: p.x, low: r.randomLow[j]!, high: r.randomHigh[j]! }));
    const outside = r.belowBand.filter(Boolean).length;
    const note =
      `How to read it: if the heatmap points at the evidence the model uses, masking the patches it ranks highest ` +
      `lowers the true-class logit faster than masking the same share of the image at random, so the red curve ` +
      `lies below the blue band (the spread of ${r.draws} random draws). Here it lies below the band at ${outside} of ` +
      `${r.fractions.length} masked shares, ${r.gap.toFixed(2)} logits lower on average ` +
      `(${r.images} images, ${formatDuration(ms)}).`;
    this.#parts.masking.replaceChildren(
      drawPlot({
        title: 'Masking the most informative patches',
        xLabel: 'image area masked (%)',
        yLabel: 'change of the true-class logit',
        summary: `Masking plot over ${r.images} test images. ${note}`,
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
