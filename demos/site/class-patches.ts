/**
 * "Most informative patches per class" (the paper's figure) over the shipped test images, from
 * the mined-patches file `bagnet mine` wrote for them (packages/models/samples/mined.json) — the
 * same file format a sharded run over a whole data set produces. Each patch is cut out of its
 * image at its receptive field. The images still go through the model once in the page, for each
 * image's prediction, which the gallery marks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { minedPatchRect, parseMinedPatches } from '@bagnet-vis/core';
import type { BagNet, MinedPatch, MinedPatchesFile } from '@bagnet-vis/core';

import type { BackendPicker } from './backend-picker.js';
import { formatSigned } from './format.js';
import { errorMessage } from './messages.js';
import { make } from './page-elements.js';

/** Patches shown per class. */
const PER_CLASS = 8;

export interface PatchFigureParts {
  readonly section: HTMLElement;
  readonly figure: HTMLElement;
  readonly progress: HTMLProgressElement;
  readonly status: HTMLElement;
}

/** An image of the set with what to call it. */
export interface MinedImage {
  readonly image: HTMLImageElement;
  readonly name: string;
}

function fileName(path: string): string {
  return decodeURIComponent(path.split(/[/?#]/).filter(Boolean).pop() ?? path);
}

function summary(file: MinedPatchesFile): string {
  return `q = ${file.run.receptiveField}, ${file.run.preprocessing}`;
}

export class PatchFigure {
  readonly #parts: PatchFigureParts;
  readonly #picker: BackendPicker;

  constructor(parts: PatchFigureParts, picker: BackendPicker) {
    this.#parts = parts;
    this.#picker = picker;
  }

  /**
   * Mines `images` with `model` and draws the figure. `onPrediction` receives each image's top
   * class as it is computed; `onPick` is called when a patch is clicked.
   */
  async run(
    model: BagNet,
    images: readonly MinedImage[],
    onPrediction: (index: number, predicted: number) => void,
    onPick: (index: number, patch: MinedPatch) => void,
  ): Promise<void> {
    const { section, progress, status, figure } = this.#parts;
    const release = this.#picker.hold();
    section.dataset['state'] = 'running';
    progress.hidden = false;
    progress.value = 0;
    try {
      const url = new URL('mined.json', images[0]!.image.src).href;
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
      const file = parseMinedPatches(await response.text(), url);
      for (let i = 0; i < images.length; i++) {
        const { image } = images[i]!;
        await image.decode();
        const evidence = await model.evidence(image);
        try {
          onPrediction(i, evidence.topClasses(1)[0]!.index);
        } finally {
          evidence.dispose();
        }
        progress.value = (i + 1) / images.length;
        status.textContent = `Running the model on test image ${i + 1} of ${images.length}…`;
        await tf.nextFrame(); // let the page paint the progress
      }
      // The file names each patch's image by path; the page's images are the same files.
      const byName = new Map(images.map((m, i) => [fileName(m.image.src), i]));
      figure.replaceChildren(
        ...file.results.map((mined) => {
          const patches = mined.most.slice(0, PER_CLASS).flatMap((p) => {
            const index = byName.get(fileName(p.image));
            if (index === undefined) return [];
            const { naturalWidth, naturalHeight } = images[index]!.image;
            const rect = minedPatchRect(p, file.run, naturalWidth, naturalHeight);
            return [{ source: index, row: p.row, col: p.col, rect, logit: p.logit }];
          });
          return this.#row(mined.label, patches, images, onPick);
        }),
      );
      status.textContent =
        `${file.done} images, ${PER_CLASS} patches per class, mined by \`bagnet mine\` (${summary(file)}). ` +
        'The number under each patch is its class logit.';
      section.dataset['state'] = 'done';
    } catch (e) {
      status.textContent = `Could not mine the patches: ${errorMessage(e)}`;
      section.dataset['state'] = 'error';
    } finally {
      progress.hidden = section.dataset['state'] === 'done';
      release();
    }
  }

  #row(
    label: string,
    patches: readonly MinedPatch[],
    images: readonly MinedImage[],
    onPick: (index: number, patch: MinedPatch) => void,
  ): HTMLElement {
    const row = make('div', { class: 'patch-row', role: 'listitem' });
    const list = make('ol', { 'aria-label': `Most evidence for ${label}` });
    patches.forEach((patch, rank) => {
      const source = images[patch.source]!;
      const canvas = make('canvas', { width: String(patch.rect.width), height: String(patch.rect.height) });
      canvas
        .getContext('2d')!
        .drawImage(
          source.image,
          patch.rect.x,
          patch.rect.y,
          patch.rect.width,
          patch.rect.height,
          0,
          0,
          patch.rect.width,
          patch.rect.height,
        );
      const description =
        `Patch ${rank + 1} for ${label}: logit ${formatSigned(patch.logit)}, from ${source.name.toLowerCase()}, ` +
        `row ${patch.row + 1}, column ${patch.col + 1}. Show it in its image.`;
      const button = make('button', { type: 'button', class: 'patch', title: description, 'aria-label': description });
      button.append(canvas);
      button.addEventListener('click', () => onPick(patch.source, patch));
      const item = make('li');
      item.append(button, make('span', { class: 'patch-logit', 'aria-hidden': 'true' }, formatSigned(patch.logit, 1)));
      list.append(item);
    });
    row.append(make('span', { class: 'class-name' }, label), list);
    return row;
  }
}
