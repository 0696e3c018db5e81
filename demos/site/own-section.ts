/**
 * "Use your own": explain a dropped image or the shipped photographs with any of the page's
 * models — the default one, a BagNet checkpoint converted here in the browser with
 * @bagnet-vis/convert (the user's file never leaves the page; it is read and converted in a Web
 * Worker, so the page stays responsive and the conversion can be cancelled), or the head
 * fine-tuned below.
 */
import type { BagNet } from '@bagnet-vis/core';
import { bagnetFromConverted, CheckpointConverter } from '@bagnet-vis/convert';
import { photos } from '@bagnet-vis/models';

import type { BackendPicker } from './backend-picker.js';
import { dropZone } from './drop-zone.js';
import type { ExplanationPane } from './explanation-pane.js';
import { formatDuration } from './format.js';
import { decodeImageFile, fitToModel, loadPicture, readsGrey, thumbnail } from './image-fitting.js';
import type { Picture } from './image-fitting.js';
import { errorMessage, showError } from './messages.js';
import { make } from './page-elements.js';

export interface OwnParts {
  readonly imageDrop: HTMLElement;
  readonly imageInput: HTMLInputElement;
  readonly checkpointDrop: HTMLElement;
  readonly checkpointInput: HTMLInputElement;
  readonly checkpointProgress: HTMLProgressElement;
  /** Cancels the conversion in progress (shown while one runs). */
  readonly checkpointCancel: HTMLButtonElement;
  readonly checkpointStatus: HTMLElement;
  readonly error: HTMLElement;
  readonly modelSelect: HTMLSelectElement;
  readonly modelNote: HTMLElement;
  /** The hint under the image drop zone: how a picture is fitted to the selected model. */
  readonly imageHint: HTMLElement;
  readonly images: HTMLElement;
  readonly credits: HTMLElement;
}

/** A picture to explain, with its thumbnail button. */
interface Choice {
  readonly key: string;
  readonly title: string;
  readonly picture: Picture;
  readonly button: HTMLButtonElement;
}

const CHECKPOINT_NAME = /\.(pth|pt|tar|ckpt|bin)$/i;
const DEFAULT_NOTE =
  'Knows 10 kinds of clothing (Fashion-MNIST), not photographs: for those, convert an ImageNet BagNet.';

/** How a dropped picture is fitted to `model` (what fitToModel does for it). */
function fittingHint(model: BagNet): string {
  const [h, w] = model.metadata.inputSize;
  return readsGrey(model)
    ? `It is fitted to the model's input: ${w}×${h} grey, light object on a dark background (a light background is inverted).`
    : `It is fitted to the model's input: cropped to its aspect ratio and scaled to ${w}×${h} px, in colour.`;
}

/** One line about a model: patch size, classes, input, origin. */
function describeModel(model: BagNet): string {
  const { inputSize, provenance } = model.metadata;
  return (
    `BagNet-${model.receptiveField} (stride ${model.stride}), ${model.numClasses} classes, ` +
    `input ${inputSize[1]}×${inputSize[0]} px, from ${provenance.source}.`
  );
}

export class OwnSection {
  readonly #parts: OwnParts;
  readonly #pane: ExplanationPane;
  readonly #picker: BackendPicker;
  readonly #models = new Map<string, { model: BagNet; title: string }>();
  readonly #choices: Choice[] = [];
  #selected?: Choice;
  /** Reads and converts checkpoints off the main thread; its worker starts on the first file. */
  readonly #converter = new CheckpointConverter();
  #conversion?: AbortController;

  constructor(parts: OwnParts, pane: ExplanationPane, picker: BackendPicker, defaultModel: BagNet) {
    this.#parts = parts;
    this.#pane = pane;
    this.#picker = picker;
    this.#models.set('default', { model: defaultModel, title: parts.modelSelect.options[0]!.text });
    this.#noteModel();
    parts.modelSelect.addEventListener('change', () => {
      this.#noteModel();
      void this.#explain();
    });
    dropZone(parts.imageDrop, parts.imageInput, (files) => void this.#addImage(files[0]!));
    dropZone(parts.checkpointDrop, parts.checkpointInput, (files) => void this.#convert(files[0]!));
    parts.checkpointCancel.addEventListener('click', () => this.#conversion?.abort());
    parts.credits.textContent =
      'Photographs: ' +
      photos.map((p) => `${p.title} (${p.licence}, ${p.credit})`).join(' · ') +
      ' — via scikit-image.';
  }

  /** Adds the shipped photographs (they load in the background). */
  async loadPhotos(): Promise<void> {
    const pictures = await Promise.all(photos.map((p) => loadPicture(p.url.href, p.title)));
    photos.forEach((p, i) => this.#addChoice(`photo:${p.file}`, p.title, pictures[i]!));
  }

  /**
   * Adds, replaces or (with `model` undefined) removes the model `key` of the "Explain with" list.
   * Resolves once the pane no longer shows a replaced model, which its owner may then dispose.
   */
  async setModel(key: string, title: string, model: BagNet | undefined): Promise<void> {
    const select = this.#parts.modelSelect;
    const old = this.#models.get(key);
    let option = [...select.options].find((o) => o.value === key);
    if (model === undefined) {
      this.#models.delete(key);
      option?.remove();
    } else {
      this.#models.set(key, { model, title });
      if (option === undefined) {
        option = make('option', { value: key });
        select.append(option);
      }
      option.text = title;
    }
    if (old !== undefined && this.#pane.shown?.model === old.model) {
      if (model !== undefined) select.value = key;
      await this.#explain();
    }
    this.#noteModel();
  }

  /** Selects model `key` and picture number `index` (0: the first thumbnail) and explains it. */
  async explain(key: string, index = 0): Promise<void> {
    this.#parts.modelSelect.value = key;
    this.#noteModel();
    const choice = this.#choices[index] ?? this.#choices[0];
    if (choice) this.#select(choice);
    await this.#explain();
  }

  #noteModel(): void {
    const key = this.#parts.modelSelect.value;
    const entry = this.#models.get(key);
    this.#parts.modelNote.textContent = key === 'default' || !entry ? DEFAULT_NOTE : describeModel(entry.model);
    const model = entry?.model ?? this.#models.get('default')!.model;
    this.#parts.imageHint.textContent = fittingHint(model);
  }

  #addChoice(key: string, title: string, picture: Picture): Choice {
    const existing = this.#choices.findIndex((c) => c.key === key);
    const button = make('button', { type: 'button', class: 'thumb', 'aria-pressed': 'false', 'data-key': key });
    const thumb = thumbnail(picture, 160);
    thumb.setAttribute('role', 'img');
    thumb.setAttribute('aria-label', title);
    button.append(thumb, make('span', {}, title));
    const choice: Choice = { key, title, picture, button };
    button.addEventListener('click', () => {
      this.#select(choice);
      void this.#explain();
    });
    if (existing >= 0) {
      this.#choices[existing]!.button.replaceWith(button);
      this.#choices[existing] = choice;
    } else {
      this.#choices.push(choice);
      this.#parts.images.append(button);
    }
    return choice;
  }

  #select(choice: Choice): void {
    this.#selected = choice;
    for (const c of this.#choices) c.button.setAttribute('aria-pressed', String(c === choice));
  }

  async #explain(): Promise<void> {
    const choice = this.#selected;
    const entry = this.#models.get(this.#parts.modelSelect.value);
    if (choice === undefined || entry === undefined) return;
    showError(this.#parts.error, undefined);
    await this.#pane.show(entry.model, fitToModel(choice.picture, entry.model), { prefix: choice.title });
  }

  async #addImage(file: File): Promise<void> {
    showError(this.#parts.error, undefined);
    try {
      const picture = await decodeImageFile(file);
      const choice = this.#addChoice('yours', file.name, picture);
      this.#parts.images.prepend(choice.button);
      this.#select(choice);
      await this.#explain();
    } catch (e) {
      const hint = CHECKPOINT_NAME.test(file.name) ? ' To convert a checkpoint, drop it on the checkpoint box.' : '';
      showError(this.#parts.error, `${errorMessage(e)}${hint}`);
    }
  }

  async #convert(file: File): Promise<void> {
    const { checkpointProgress: progress, checkpointStatus: status, checkpointDrop: drop } = this.#parts;
    const cancel = this.#parts.checkpointCancel;
    this.#conversion?.abort(); // a new file replaces the one being converted
    const conversion = new AbortController();
    this.#conversion = conversion;
    showError(this.#parts.error, undefined);
    const release = this.#picker.hold();
    progress.hidden = false;
    progress.removeAttribute('value'); // indeterminate until the worker reports
    cancel.hidden = false;
    drop.dataset['state'] = 'converting';
    const previousStatus = status.textContent ?? '';
    status.textContent = `Reading ${file.name} (${(file.size / 2 ** 20).toFixed(1)} MB)…`;
    const started = performance.now();
    try {
      // The worker reads the file itself: nothing of it is copied on this thread.
      const converted = await this.#converter.convert(file, {
        fileName: file.name,
        signal: conversion.signal,
        onProgress: (p) => {
          progress.max = 1;
          progress.value = p.fraction;
          status.textContent = `${p.message}…`;
        },
      });
      progress.removeAttribute('value');
      status.textContent = 'Building the TensorFlow.js model…';
      const model = bagnetFromConverted(converted);
      const title = `${file.name} (BagNet-${model.receptiveField}, ${model.numClasses} classes)`;
      const old = this.#models.get('checkpoint');
      await this.setModel('checkpoint', title, model);
      status.textContent = `Converted in ${formatDuration(performance.now() - started)}: ${describeModel(model)}`;
      drop.dataset['state'] = 'converted';
      await this.explain(
        'checkpoint',
        this.#choices.findIndex((c) => c.key.startsWith('photo:')),
      );
      old?.model.dispose();
    } catch (e) {
      if (conversion.signal.aborted) {
        // Cancelled, or replaced by a newer file (which now owns the status line).
        if (this.#conversion === conversion) {
          status.textContent = `Conversion of ${file.name} cancelled.`;
          drop.dataset['state'] = 'cancelled';
        }
        return;
      }
      status.textContent = previousStatus;
      drop.dataset['state'] = 'error';
      showError(this.#parts.error, `Could not convert “${file.name}”: ${errorMessage(e)}`);
    } finally {
      if (this.#conversion === conversion) {
        this.#conversion = undefined;
        progress.hidden = true;
        cancel.hidden = true;
      }
      release();
    }
  }
}
