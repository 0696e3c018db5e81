/**
 * "Fine-tune the head": the user names classes, adds labelled images (the shipped test images
 * regrouped, and/or their own), and core's `fineTuneHead` trains a new linear head on top of the
 * default model's backbone, in the page, with progress and a held-out split. The new model explains
 * its held-out images here and joins the "Explain with" list of "Use your own".
 */
import { fineTuneHead } from '@bagnet-vis/core';
import type { BagNet, TrainingProgress, TrainingResult } from '@bagnet-vis/core';

import type { BackendPicker } from './backend-picker.js';
import { dropZone } from './drop-zone.js';
import type { ExplanationPane } from './explanation-pane.js';
import { formatDuration, formatPercent } from './format.js';
import { decodeImageFile, fitToModel, thumbnail } from './image-fitting.js';
import { errorMessage, isAbort, showError } from './messages.js';
import { make } from './page-elements.js';

export interface FineTuneParts {
  readonly section: HTMLElement;
  readonly labels: HTMLInputElement;
  readonly addSamples: HTMLButtonElement;
  readonly files: HTMLInputElement;
  readonly filesZone: HTMLElement;
  readonly clear: HTMLButtonElement;
  readonly count: HTMLElement;
  readonly examples: HTMLUListElement;
  readonly train: HTMLButtonElement;
  readonly progress: HTMLProgressElement;
  readonly status: HTMLElement;
  readonly error: HTMLElement;
  readonly heldOut: HTMLElement;
}

/** A shipped test image with its Fashion-MNIST class. */
export interface LabelledSample {
  readonly image: HTMLImageElement;
  readonly label: number;
  readonly name: string;
}

/** The preset: Fashion-MNIST's 10 classes regrouped into 3. */
const PRESET_LABELS = ['clothing', 'footwear', 'bag'];
/** Fashion-MNIST class → preset class (Sandal, Sneaker, Ankle boot: footwear; Bag: bag). */
const PRESET_GROUP = [0, 0, 0, 0, 0, 1, 0, 1, 2, 1];
const EPOCHS = 30;

interface Example {
  readonly image: HTMLImageElement | HTMLCanvasElement;
  readonly name: string;
  label: number;
}

/** The class names typed by the user: comma-separated, trimmed, empty ones dropped. */
function parseLabels(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export class FineTuneSection {
  readonly #parts: FineTuneParts;
  readonly #pane: ExplanationPane;
  readonly #picker: BackendPicker;
  readonly #base: BagNet;
  readonly #onModel: (model: BagNet, title: string) => Promise<void>;
  #examples: Example[] = [];
  #controller?: AbortController;
  #model?: BagNet;

  /**
   * `onModel` receives each new fine-tuned model; once it resolves, nothing else shows the
   * previous one, which is then disposed.
   */
  constructor(
    parts: FineTuneParts,
    pane: ExplanationPane,
    picker: BackendPicker,
    base: BagNet,
    samples: () => readonly LabelledSample[],
    onModel: (model: BagNet, title: string) => Promise<void>,
  ) {
    this.#parts = parts;
    this.#pane = pane;
    this.#picker = picker;
    this.#base = base;
    this.#onModel = onModel;
    parts.addSamples.addEventListener('click', () => this.#addSamples(samples()));
    dropZone(parts.filesZone, parts.files, (files) => void this.#addFiles(files));
    parts.clear.addEventListener('click', () => {
      this.#examples = [];
      this.#render();
    });
    parts.labels.addEventListener('input', () => this.#render());
    parts.train.addEventListener('click', () => {
      if (this.#controller) this.#controller.abort();
      else void this.#train();
    });
    this.#render();
  }

  #labels(): string[] {
    return parseLabels(this.#parts.labels.value);
  }

  #addSamples(samples: readonly LabelledSample[]): void {
    this.#parts.labels.value = PRESET_LABELS.join(', ');
    const known = new Set(this.#examples.map((e) => e.image));
    for (const s of samples) {
      if (!known.has(s.image)) this.#examples.push({ image: s.image, name: s.name, label: PRESET_GROUP[s.label]! });
    }
    showError(this.#parts.error, undefined);
    this.#render();
  }

  async #addFiles(files: readonly File[]): Promise<void> {
    const failed: string[] = [];
    for (const file of files) {
      try {
        const picture = await decodeImageFile(file);
        this.#examples.push({ image: fitToModel(picture, this.#base), name: file.name, label: 0 });
        picture.close();
      } catch (e) {
        failed.push(errorMessage(e));
      }
    }
    showError(this.#parts.error, failed.length > 0 ? `Skipped: ${failed.join(' ')}` : undefined);
    this.#render();
  }

  #render(): void {
    const labels = this.#labels();
    const { examples, train } = this.#parts;
    examples.replaceChildren(
      ...this.#examples.map((example, i) => {
        const item = make('li');
        const picture = thumbnail(example.image, 28);
        picture.setAttribute('aria-hidden', 'true');
        const select = make('select', { 'aria-label': `Class of ${example.name}` });
        labels.forEach((label, c) => select.append(make('option', { value: String(c) }, label)));
        if (example.label >= labels.length) select.append(make('option', { value: String(example.label) }, '?'));
        select.value = String(example.label);
        select.addEventListener('change', () => {
          this.#examples[i]!.label = Number(select.value);
          this.#count();
        });
        item.append(picture, select);
        return item;
      }),
    );
    this.#count();
    if (this.#controller === undefined) train.disabled = this.#examples.length === 0;
  }

  #count(): void {
    const labels = this.#labels();
    const n = this.#examples.length;
    if (n === 0) {
      this.#parts.count.textContent = 'No images yet.';
      return;
    }
    const per = labels.map((label, c) => `${this.#examples.filter((e) => e.label === c).length} ${label}`);
    this.#parts.count.textContent = `${n} image${n === 1 ? '' : 's'}: ${per.join(', ')}.`;
  }

  async #train(): Promise<void> {
    const { section, train, progress, status, error } = this.#parts;
    const labels = this.#labels();
    showError(error, undefined);
    const controller = new AbortController();
    this.#controller = controller;
    const release = this.#picker.hold();
    train.textContent = 'Cancel';
    progress.hidden = false;
    progress.value = 0;
    section.dataset['state'] = 'running';
    const examples = this.#examples.map((e) => ({ image: e.image, label: e.label }));
    const started = performance.now();
    let result: TrainingResult | undefined;
    try {
      result = await fineTuneHead(this.#base, examples, {
        labels,
        epochs: EPOCHS,
        signal: controller.signal,
        notes: 'Fine-tuned in the bagnet-vis demo page.',
        onProgress: (p) => this.#progress(p, examples.length),
      });
      const last = result.history[result.history.length - 1]!;
      const heldOut =
        last.valAccuracy !== undefined
          ? `held-out accuracy ${formatPercent(last.valAccuracy)} on ${result.validationExamples} images`
          : 'no images held out';
      status.textContent =
        `Trained in ${formatDuration(performance.now() - started)}: ${heldOut} ` +
        `(training accuracy ${formatPercent(last.accuracy)}, ${result.trainingExamples} images).`;
      section.dataset['state'] = 'done';
    } catch (e) {
      section.dataset['state'] = isAbort(e) ? 'idle' : 'error';
      status.textContent = isAbort(e) ? 'Cancelled.' : '';
      if (!isAbort(e)) showError(error, `Fine-tuning failed: ${errorMessage(e)}`);
    } finally {
      this.#controller = undefined;
      train.textContent = 'Fine-tune';
      train.disabled = this.#examples.length === 0;
      progress.hidden = true;
      release();
    }
    if (result !== undefined) await this.#adopt(result, labels);
  }

  #progress(p: TrainingProgress, total: number): void {
    const { progress, status } = this.#parts;
    if (p.phase === 'prepare') {
      progress.value = (0.3 * p.done) / total;
      status.textContent = `Backbone features: image ${p.done} of ${total}…`;
    } else if (p.phase === 'epoch') {
      progress.value = 0.3 + (0.7 * p.epoch) / p.epochs;
      const val = p.valAccuracy !== undefined ? `, held-out ${formatPercent(p.valAccuracy)}` : '';
      status.textContent =
        `Epoch ${p.epoch} of ${p.epochs}: loss ${p.loss.toFixed(3)}, accuracy ${formatPercent(p.accuracy)}${val}` +
        (p.etaSeconds > 0 ? `, about ${Math.ceil(p.etaSeconds)} s left` : '');
    }
  }

  /** Shows the new model on its held-out images and hands it to the rest of the page. */
  async #adopt(result: TrainingResult, labels: readonly string[]): Promise<void> {
    const old = this.#model;
    const model = result.model;
    this.#model = model;
    const examples = this.#examples.slice();
    const heldOut = result.validationIndices.map((i) => examples[i]!);
    const shown = heldOut.length > 0 ? heldOut : examples.slice(0, 8);
    this.#parts.heldOut.replaceChildren(
      ...shown.map((example, i) => {
        const button = make('button', { type: 'button', class: 'thumb', 'aria-pressed': String(i === 0) });
        const picture = thumbnail(example.image, 56);
        picture.setAttribute('role', 'img');
        picture.setAttribute('aria-label', example.name);
        button.append(picture, make('span', {}, labels[example.label] ?? ''));
        button.addEventListener('click', () => {
          for (const b of this.#parts.heldOut.querySelectorAll('button'))
            b.setAttribute('aria-pressed', String(b === button));
          void this.#pane.show(model, example.image, { trueClass: example.label, prefix: example.name });
        });
        return button;
      }),
    );
    const first = shown[0];
    if (first) await this.#pane.show(model, first.image, { trueClass: first.label, prefix: first.name });
    await this.#onModel(model, `Fine-tuned head (${labels.join(', ')})`);
    old?.dispose();
  }
}
