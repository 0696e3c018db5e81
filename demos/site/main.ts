/**
 * The demo site (`npm start`): starts tfjs on the best backend, loads the default model of
 * @bagnet-vis/models and wires the sections — explore the test images, most informative patches
 * per class, the paper's analyses, your own image or checkpoint, and head fine-tuning.
 *
 * `document.body.dataset.ready` is `true` once the first explanation shows (`error` if the page
 * could not start); the sections report their own state in `data-state`.
 */
import '@bagnet-vis/elements/define.js';
import { loadBagNet } from '@bagnet-vis/core';
import { BagNetExplainerElement, BagNetHeatmapElement } from '@bagnet-vis/elements';
import { defaultModelCardUrl, defaultModelUrl } from '@bagnet-vis/models';

import { AnalysesSection } from './analyses.js';
import { BackendPicker } from './backend-picker.js';
import { PatchFigure } from './class-patches.js';
import { ignoreStrayDrops } from './drop-zone.js';
import { ExplanationPane } from './explanation-pane.js';
import { ExploreSection } from './explore-section.js';
import { FineTuneSection } from './fine-tune-section.js';
import { OneScaleSection } from './one-scale-section.js';
import { errorMessage, showError } from './messages.js';
import { OwnSection } from './own-section.js';
import { byId, make } from './page-elements.js';

/** The test image explained when the page opens. */
const FIRST_SAMPLE = 'test-01982-ankle-boot.png';

function pane(prefix: string, picker: BackendPicker, timing = true): ExplanationPane {
  return new ExplanationPane(
    byId(`${prefix}-detail`, HTMLElement),
    byId(`${prefix}-explainer`, BagNetExplainerElement),
    byId(`${prefix}-verdict`, HTMLElement),
    timing ? byId(`${prefix}-timing`, HTMLElement) : undefined,
    picker,
  );
}

async function main(): Promise<void> {
  ignoreStrayDrops();
  const picker = new BackendPicker(
    byId('backend-select', HTMLSelectElement),
    byId('backend-status', HTMLOutputElement),
    byId('backend-error', HTMLElement),
    byId('backend-why', HTMLElement),
  );
  await picker.start();
  const model = await loadBagNet(defaultModelUrl.href);
  performance.mark('bagnet-demo:model-loaded'); // read by test/bench/targets.ts

  const info = byId('model-info', HTMLElement);
  const grid = model.geometry(28, 28);
  info.replaceChildren(
    `The shipped default model: a BagNet with ${model.receptiveField}×${model.receptiveField}-px patches ` +
      `(stride ${model.stride}) trained on Fashion-MNIST. On a 28×28 image its class logits are exactly the mean ` +
      `of ${grid.rows}×${grid.cols} patch logits — red = evidence for the class, blue = against. `,
    make('a', { href: defaultModelCardUrl.href }, 'Model card'),
    '.',
  );

  const explorePane = pane('explore', picker);
  const explore = new ExploreSection(
    byId('samples', HTMLElement),
    byId('samples-summary', HTMLElement),
    byId('explore-dense', HTMLInputElement),
    byId('explore-explainer', BagNetExplainerElement).querySelector('bagnet-heatmap') as BagNetHeatmapElement,
    explorePane,
    model,
  );
  picker.onSwitch(() => void explorePane.refresh());

  const own = new OwnSection(
    {
      imageDrop: byId('image-drop', HTMLElement),
      imageInput: byId('image-file', HTMLInputElement),
      checkpointDrop: byId('checkpoint-drop', HTMLElement),
      checkpointInput: byId('checkpoint-file', HTMLInputElement),
      checkpointProgress: byId('checkpoint-progress', HTMLProgressElement),
      checkpointCancel: byId('checkpoint-cancel', HTMLButtonElement),
      checkpointStatus: byId('checkpoint-status', HTMLElement),
      error: byId('own-error', HTMLElement),
      modelSelect: byId('own-model', HTMLSelectElement),
      modelNote: byId('own-model-note', HTMLElement),
      imageHint: byId('image-hint', HTMLElement),
      images: byId('own-images', HTMLElement),
      credits: byId('photo-credits', HTMLElement),
    },
    pane('own', picker),
    picker,
    model,
  );

  const sampleNames = explore.samples.map((s) => ({
    image: s.image,
    name: `Test image ${s.testIndex}`,
    label: s.label,
  }));
  new AnalysesSection(
    {
      section: byId('analyses', HTMLElement),
      button: byId('analyses-run', HTMLButtonElement),
      progress: byId('analyses-progress', HTMLProgressElement),
      status: byId('analyses-status', HTMLElement),
      masking: byId('masking-svg', HTMLElement),
      linearity: byId('linearity-svg', HTMLElement),
    },
    picker,
    model,
    // All 50 test images (masking); the linearity test takes the first of each class.
    () => sampleNames,
  );

  const oneScale = new OneScaleSection(
    {
      section: byId('one-scale', HTMLElement),
      before: byId('os-before', BagNetHeatmapElement),
      after: byId('os-after', BagNetHeatmapElement),
      beforeCaption: byId('os-before-caption', HTMLElement),
      afterCaption: byId('os-after-caption', HTMLElement),
      status: byId('os-status', HTMLElement),
      error: byId('os-error', HTMLElement),
    },
    model,
  );

  new FineTuneSection(
    {
      section: byId('fine-tune', HTMLElement),
      labels: byId('ft-labels', HTMLInputElement),
      addSamples: byId('ft-add-samples', HTMLButtonElement),
      files: byId('ft-files', HTMLInputElement),
      filesZone: byId('ft-drop', HTMLElement),
      clear: byId('ft-clear', HTMLButtonElement),
      count: byId('ft-count', HTMLElement),
      examples: byId('ft-examples', HTMLUListElement),
      train: byId('ft-train', HTMLButtonElement),
      progress: byId('ft-progress', HTMLProgressElement),
      status: byId('ft-status', HTMLElement),
      error: byId('ft-error', HTMLElement),
      heldOut: byId('ft-heldout', HTMLElement),
    },
    pane('ft', picker, false),
    picker,
    model,
    () => sampleNames,
    async (tuned, title) => {
      await own.setModel('fine-tuned', title, tuned);
      const first = sampleNames[0];
      if (first) await oneScale.compare(tuned, first.image, first.name);
    },
  );

  await explore.show(
    Math.max(
      0,
      explore.samples.findIndex((s) => s.file === FIRST_SAMPLE),
    ),
  );
  document.body.dataset['ready'] = 'true';
  performance.mark('bagnet-demo:first-explanation');

  // Background work once the first explanation shows: the photographs and the patch figure.
  void own.loadPhotos().catch((e: unknown) => showError(byId('own-error', HTMLElement), errorMessage(e)));
  await new PatchFigure(
    {
      section: byId('patches', HTMLElement),
      figure: byId('patches-figure', HTMLElement),
      progress: byId('patches-progress', HTMLProgressElement),
      status: byId('patches-status', HTMLElement),
    },
    picker,
  ).run(
    model,
    sampleNames,
    (i, predicted) => explore.markPrediction(i, predicted),
    (i, patch) => {
      byId('explore', HTMLElement).scrollIntoView({ behavior: 'smooth' });
      void explore.show(i, { row: patch.row, col: patch.col });
    },
  );
}

main().catch((e: unknown) => {
  document.body.dataset['ready'] = 'error';
  showError(byId('page-error', HTMLElement), `The demo could not start: ${errorMessage(e)}`);
});
