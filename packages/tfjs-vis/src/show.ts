/**
 * `show.*`: run a model and show what it saw, in tfjs-vis's style — `show.explain(container, model,
 * image)` next to tfjs-vis's `show.modelSummary(container, model)`.
 */
import { BagNetAbortError, BagNetInputError } from '@bagnet-vis/core';
import type { BagNet, BagNetImageInput } from '@bagnet-vis/core';
import type {
  BagNetExplainerElement,
  BagNetHeatmapElement,
  EvidenceBarElement,
  Explanation,
  PatchGalleryElement,
} from '@bagnet-vis/elements';

import { resolveDrawArea } from './drawable.js';
import type { Drawable } from './drawable.js';
import { mountView, updateWhenShown } from './mount.js';
import {
  assignDefined,
  checkClassIndex,
  checkColormap,
  cssWidth,
  EVIDENCE_BAR_DISPLAY_KEYS,
  HEATMAP_DISPLAY_KEYS,
  PATCH_GALLERY_DISPLAY_KEYS,
} from './options.js';
import type {
  EvidenceBarDisplayOptions,
  HeatmapDisplayOptions,
  PatchGalleryDisplayOptions,
  ViewOptions,
} from './options.js';

/** Options of `show.explain`. */
export interface ExplainOptions extends ViewOptions {
  /** The class the three views show; `null`: the top-1 class (the default). Linked: picking a class in the bars changes it. */
  readonly classIndex?: number | null;
  /** Display options of the heatmap. */
  readonly heatmap?: HeatmapDisplayOptions;
  /** Display options of the evidence bars. */
  readonly evidenceBar?: EvidenceBarDisplayOptions;
  /** Display options of the patch gallery. */
  readonly patchGallery?: PatchGalleryDisplayOptions;
  /**
   * Cancels the model run: the views' model and image are cleared and the promise rejects with an
   * `AbortError` (in a hidden tab: the queued update is dropped).
   */
  readonly signal?: AbortSignal;
}

/** The elements `show.explain` mounted: the same ones on every call for the same container. */
export interface ExplainViews {
  /** Runs the model once and links the three views below it. */
  readonly explainer: BagNetExplainerElement;
  readonly heatmap: BagNetHeatmapElement;
  readonly evidenceBar: EvidenceBarElement;
  readonly patchGallery: PatchGalleryElement;
}

function checkModel(model: BagNet): void {
  const value = model as unknown as Partial<BagNet> | null | undefined;
  if (typeof value !== 'object' || value === null || typeof value.evidence !== 'function') {
    throw new BagNetInputError(
      `show.explain: model must be a BagNet (from \`await loadBagNet(url)\` of @bagnet-vis/core), got ${
        value === null ? 'null' : typeof value
      }.`,
    );
  }
  if (value.isDisposed) throw new BagNetInputError('show.explain: the model has been disposed.');
}

/** The views inside the explainer: a responsive grid of heatmap, evidence bars and gallery. */
function createViews(explainer: BagNetExplainerElement): void {
  const grid = document.createElement('div');
  grid.style.display = 'grid';
  grid.style.gridTemplateColumns = 'repeat(auto-fit, minmax(min(100%, 16rem), 1fr))';
  grid.style.gap = '1rem';
  grid.style.alignItems = 'start';
  const side = document.createElement('div');
  side.append(document.createElement('evidence-bar'), document.createElement('patch-gallery'));
  grid.append(document.createElement('bagnet-heatmap'), side);
  explainer.append(grid);
}

function viewsOf(explainer: BagNetExplainerElement): ExplainViews {
  const heatmap = explainer.querySelector('bagnet-heatmap');
  const evidenceBar = explainer.querySelector('evidence-bar');
  const patchGallery = explainer.querySelector('patch-gallery');
  if (heatmap === null || evidenceBar === null || patchGallery === null) {
    throw new Error('show.explain: the views inside the mounted <bagnet-explainer> were removed.');
  }
  return { explainer, heatmap, evidenceBar, patchGallery };
}

/**
 * Settles when the explainer's run for its current inputs has finished: resolves once it shows
 * another evidence map than `before` (or, with `fresh` false, any finished one), rejects with the
 * run's error.
 */
function runSettled(
  explainer: BagNetExplainerElement,
  before: Explanation,
  fresh: boolean,
  signal: AbortSignal | undefined,
  onAbort: () => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const controller = {
      hostUpdated: () => {
        const now = explainer.explanation;
        if (now.status === 'error' && now.error !== undefined && (!fresh || now.error !== before.error)) {
          done();
          reject(now.error.error);
        } else if (
          now.status === 'ready' &&
          now.evidence !== undefined &&
          (!fresh || now.evidence !== before.evidence)
        ) {
          done();
          resolve();
        }
      },
    };
    const aborted = () => {
      done();
      onAbort();
      reject(new BagNetAbortError('show.explain was aborted.', { cause: signal?.reason }));
    };
    const done = () => {
      explainer.removeController(controller);
      signal?.removeEventListener('abort', aborted);
    };
    explainer.addController(controller);
    if (signal?.aborted) {
      aborted();
      return;
    }
    signal?.addEventListener('abort', aborted, { once: true });
    // Catch a state reached before the controller was added.
    explainer.requestUpdate();
  });
}

/**
 * Runs `model` once on `image` and shows the result as a `<bagnet-explainer>` holding a heatmap,
 * evidence bars and a patch gallery, linked: hover a cell and the bars and gallery follow; pick a
 * class in the bars and the heatmap and gallery follow. A later call for the same container
 * updates the same elements (the latest call wins; an image already evaluated is not run again).
 *
 * The model run goes through @bagnet-vis/elements' shared cache, which owns the evidence map and
 * disposes it when the views no longer show it; the caller keeps ownership of `model` and `image`.
 *
 * In a hidden visor tab nothing runs until the tab is shown: the promise then resolves at once,
 * and the views fill in when the tab opens.
 *
 * ```js
 * const model = await bagnet.loadBagNet(url);
 * await bagnetVis.show.explain({ name: 'Explanation', tab: 'BagNet' }, model, img);
 * ```
 *
 * @param container an HTMLElement, a visor Surface, or `{name, tab}` surface info
 * @param model a loaded BagNet
 * @param image any image `BagNet.evidence` accepts, or an image URL
 * @returns the mounted elements, once the run has finished (at once in a hidden tab); rejects with
 *   the run's error (e.g. `BagNetInputError` for an image smaller than a patch)
 */
export async function explain(
  container: Drawable,
  model: BagNet,
  image: BagNetImageInput | string,
  options: ExplainOptions = {},
): Promise<ExplainViews> {
  const where = 'show.explain';
  checkModel(model);
  if (image === undefined || image === null || image === '') {
    throw new BagNetInputError(`${where}: an image is needed (any input BagNet.evidence accepts, or a URL).`);
  }
  checkClassIndex(model, options.classIndex, where);
  checkColormap(options.heatmap?.colormap, where);
  if (options.signal?.aborted) throw new BagNetAbortError(`${where} was aborted.`, { cause: options.signal.reason });
  const drawArea = await resolveDrawArea(container, where);
  const explainer = mountView(drawArea, 'explainer', createViews);
  const views = viewsOf(explainer);
  const url = typeof image === 'string' ? image : undefined;
  const picture = typeof image === 'string' ? undefined : image;
  const fresh = explainer.model !== model || explainer.image !== picture || (explainer.src ?? undefined) !== url;
  const before = explainer.explanation;
  const ran = updateWhenShown(drawArea, explainer, () => {
    if (options.signal?.aborted) return; // cancelled while waiting for a hidden tab
    explainer.model = model;
    explainer.image = picture;
    explainer.src = url;
    assignDefined(explainer, options, ['classIndex']);
    assignDefined(views.heatmap, options.heatmap ?? {}, HEATMAP_DISPLAY_KEYS);
    assignDefined(views.evidenceBar, options.evidenceBar ?? {}, EVIDENCE_BAR_DISPLAY_KEYS);
    assignDefined(views.patchGallery, options.patchGallery ?? {}, PATCH_GALLERY_DISPLAY_KEYS);
    if (options.width !== undefined) explainer.style.width = cssWidth(options.width);
  });
  if (!ran) return views;
  await runSettled(explainer, before, fresh, options.signal, () => {
    // Stop the run (the explainer cancels it when its inputs go), unless a newer call replaced them.
    if (explainer.model === model && explainer.image === picture && (explainer.src ?? undefined) === url) {
      explainer.model = undefined;
      explainer.image = undefined;
      explainer.src = undefined;
    }
  });
  return views;
}
