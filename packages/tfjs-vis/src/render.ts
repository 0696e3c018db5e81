/**
 * `render.*`: draw an evidence map into a tfjs-vis container, in tfjs-vis's own style —
 * `render.heatmap(container, evidence, options)`. Each function mounts one of the
 * @bagnet-vis/elements views into the container's draw area on its first call and updates that same
 * element on later calls (e.g. once per epoch in a training loop). In a hidden visor tab the update
 * waits until the tab is shown.
 */
import { BagNetInputError } from '@bagnet-vis/core';
import type { EvidenceMap } from '@bagnet-vis/core';
import type { BagNetHeatmapElement, EvidenceBarElement, PatchGalleryElement } from '@bagnet-vis/elements';

import { resolveDrawArea } from './drawable.js';
import type { Drawable } from './drawable.js';
import { mountView, updateWhenShown } from './mount.js';
import {
  assignDefined,
  checkClassIndex,
  checkColormap,
  checkEvidence,
  cssWidth,
  EVIDENCE_BAR_DISPLAY_KEYS,
  HEATMAP_DISPLAY_KEYS,
  PATCH_GALLERY_DISPLAY_KEYS,
} from './options.js';
import type { EvidenceBarOptions, HeatmapOptions, PatchGalleryOptions } from './options.js';

/** The options each render function copies onto its element: the display options plus the data-side ones. */
const HEATMAP_KEYS = ['classIndex', ...HEATMAP_DISPLAY_KEYS] as const satisfies readonly (keyof HeatmapOptions)[];
const EVIDENCE_BAR_KEYS = [
  'classIndex',
  'highlight',
  ...EVIDENCE_BAR_DISPLAY_KEYS,
] as const satisfies readonly (keyof EvidenceBarOptions)[];
const PATCH_GALLERY_KEYS = [
  'classIndex',
  ...PATCH_GALLERY_DISPLAY_KEYS,
] as const satisfies readonly (keyof PatchGalleryOptions)[];

/** Waits for the element's render when the update ran now (not queued for a hidden tab). */
async function settled<T extends { updateComplete: Promise<boolean> }>(element: T, ran: boolean): Promise<T> {
  if (ran) await element.updateComplete;
  return element;
}

/**
 * Draws the evidence map of one class as a `<bagnet-heatmap>`: the image with the class's patch
 * evidence on top (red = for, blue = against, by default), a legend, and a cell cursor (hover or
 * arrow keys; its `input` events carry `.value`, the active cell).
 *
 * ```js
 * const evidence = await model.evidence(image);
 * await bagnetVis.render.heatmap({ name: 'Evidence', tab: 'BagNet' }, evidence, { image });
 * ```
 *
 * @param container an HTMLElement, a visor Surface, or `{name, tab}` surface info
 * @param evidence the map to show; the caller keeps ownership (keep it until a later call replaces it)
 * @returns the `<bagnet-heatmap>`, the same element on every call for the same container
 */
export async function heatmap(
  container: Drawable,
  evidence: EvidenceMap,
  options: HeatmapOptions = {},
): Promise<BagNetHeatmapElement> {
  const where = 'render.heatmap';
  checkEvidence(evidence, where);
  checkClassIndex(evidence, options.classIndex, where);
  checkColormap(options.colormap, where);
  const drawArea = await resolveDrawArea(container, where);
  const element = mountView(drawArea, 'heatmap');
  const ran = updateWhenShown(drawArea, element, () => {
    element.evidence = evidence;
    element.image = options.image;
    element.model = options.model;
    assignDefined(element, options, HEATMAP_KEYS);
    if (options.width !== undefined) element.style.width = cssWidth(options.width);
  });
  return settled(element, ran);
}

/**
 * Draws the top classes' logits as an `<evidence-bar>`: each logit split into the sum of the patch
 * evidence for the class, against it, and the head bias; below, how the selected class's evidence
 * is spread over the patches. Picking a class (click, arrow keys) fires `input`/`change` with
 * `.value`, the class index.
 *
 * @param container an HTMLElement, a visor Surface, or `{name, tab}` surface info
 * @param evidence the map to show; the caller keeps ownership
 * @returns the `<evidence-bar>`, the same element on every call for the same container
 */
export async function evidenceBar(
  container: Drawable,
  evidence: EvidenceMap,
  options: EvidenceBarOptions = {},
): Promise<EvidenceBarElement> {
  const where = 'render.evidenceBar';
  checkEvidence(evidence, where);
  checkClassIndex(evidence, options.classIndex, where);
  const drawArea = await resolveDrawArea(container, where);
  const element = mountView(drawArea, 'evidence-bar');
  const ran = updateWhenShown(drawArea, element, () => {
    element.evidence = evidence;
    assignDefined(element, options, EVIDENCE_BAR_KEYS);
    if (options.width !== undefined) element.style.width = cssWidth(options.width);
  });
  return settled(element, ran);
}

/**
 * Draws the k patches with the most and the k with the least evidence for a class as a
 * `<patch-gallery>`, each cut out of `options.image` at its receptive field (q × q px) with its
 * evidence, rank and share of the class's evidence.
 *
 * @param container an HTMLElement, a visor Surface, or `{name, tab}` surface info
 * @param evidence the map to show; the caller keeps ownership
 * @param options `image` (required): the image the map was computed from
 * @returns the `<patch-gallery>`, the same element on every call for the same container
 */
export async function patchGallery(
  container: Drawable,
  evidence: EvidenceMap,
  options: PatchGalleryOptions,
): Promise<PatchGalleryElement> {
  const where = 'render.patchGallery';
  checkEvidence(evidence, where);
  if (options?.image === undefined || options.image === null) {
    throw new BagNetInputError(
      `${where}: options.image is required — the image the evidence map was computed from, to cut the patches out of.`,
    );
  }
  checkClassIndex(evidence, options.classIndex, where);
  const drawArea = await resolveDrawArea(container, where);
  const element = mountView(drawArea, 'patch-gallery');
  const ran = updateWhenShown(drawArea, element, () => {
    element.evidence = evidence;
    element.image = options.image;
    assignDefined(element, options, PATCH_GALLERY_KEYS);
    if (options.width !== undefined) element.style.width = cssWidth(options.width);
  });
  return settled(element, ran);
}
