/**
 * "Explore the test images": the 50 shipped Fashion-MNIST test images, one row per true class;
 * clicking one explains it with the default model (heatmap, evidence bars, patch gallery), says
 * whether the prediction is right, and can switch the heatmap to the dense per-pixel map.
 */
import type { BagNet } from '@bagnet-vis/core';
import type { BagNetHeatmapElement } from '@bagnet-vis/elements';
import { FASHION_MNIST_LABELS, sampleImages } from '@bagnet-vis/models';
import type { SampleImage } from '@bagnet-vis/models';

import type { Cell, ExplanationPane } from './explanation-pane.js';
import { formatPercent } from './format.js';
import { make } from './page-elements.js';

/** A shipped test image. */
export interface LoadedSample extends SampleImage {
  readonly index: number;
  /**
   * What the model reads: an `<img>` outside the document (28×28). Not the thumbnail: tfjs reads
   * an `<img>` at its displayed size, and the thumbnail is displayed larger.
   */
  readonly image: HTMLImageElement;
}

export class ExploreSection {
  readonly samples: readonly LoadedSample[];
  readonly #pane: ExplanationPane;
  readonly #model: BagNet;
  readonly #buttons: HTMLButtonElement[] = [];
  readonly #summary: HTMLElement;
  readonly #predicted = new Map<number, number>();

  /** Builds the thumbnails into `container` (they start loading at once). */
  constructor(
    container: HTMLElement,
    summary: HTMLElement,
    dense: HTMLInputElement,
    heatmap: BagNetHeatmapElement,
    pane: ExplanationPane,
    model: BagNet,
  ) {
    this.#pane = pane;
    this.#model = model;
    this.#summary = summary;
    const samples: LoadedSample[] = [];
    const byClass = FASHION_MNIST_LABELS.map((_, c) => sampleImages.filter((s) => s.label === c));
    byClass.forEach((list, c) => {
      container.append(make('span', { class: 'class-name', 'aria-hidden': 'true' }, FASHION_MNIST_LABELS[c]));
      for (const sample of list) {
        const index = sampleImages.indexOf(sample);
        const alt = `${sample.labelName}, test image ${sample.testIndex}`;
        const image = make('img', { src: sample.url.href, alt });
        const shown = make('img', { src: sample.url.href, alt, width: '28', height: '28' });
        const button = make('button', {
          type: 'button',
          class: 'thumb',
          'aria-pressed': 'false',
          'data-sample': sample.file,
        });
        button.append(shown);
        button.addEventListener('click', () => void this.show(index));
        container.append(button);
        this.#buttons[index] = button;
        samples[index] = { ...sample, index, image };
      }
    });
    this.samples = samples;
    dense.addEventListener('change', () => {
      heatmap.resolution = dense.checked ? 'dense' : 'cells';
    });
  }

  /** Explains sample `index`, optionally selecting one cell of its map. */
  async show(index: number, cell?: Cell): Promise<void> {
    const sample = this.samples[index]!;
    this.#buttons.forEach((b, i) => b.setAttribute('aria-pressed', String(i === index)));
    await sample.image.decode();
    await this.#pane.show(
      this.#model,
      sample.image,
      { trueClass: sample.label, prefix: `Test image ${sample.testIndex}` },
      cell,
    );
  }

  /** Marks sample `index` with the model's prediction (from the patch-mining pass over all images). */
  markPrediction(index: number, predicted: number): void {
    this.#predicted.set(index, predicted);
    const sample = this.samples[index]!;
    const right = predicted === sample.label;
    const button = this.#buttons[index]!;
    button.dataset['verdict'] = right ? 'right' : 'wrong';
    const img = button.querySelector('img')!;
    img.alt = `${sample.labelName}, test image ${sample.testIndex}${right ? '' : `, predicted ${FASHION_MNIST_LABELS[predicted]}`}`;
    if (this.#predicted.size === this.samples.length) {
      const correct = this.samples.filter((s) => this.#predicted.get(s.index) === s.label).length;
      this.#summary.textContent =
        `The model gets ${correct} of ${this.samples.length} right (${formatPercent(correct / this.samples.length)}); ` +
        'the ones it gets wrong are marked ✗. Pick one.';
    }
  }
}
