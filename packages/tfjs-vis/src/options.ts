/**
 * The options of the render and show functions, and their checks. Display options left out keep
 * their current value on a later call (including what the user picked, e.g. a class in the bars);
 * the data (evidence map, image, model) is replaced on every call.
 */
import { BagNetInputError } from '@bagnet-vis/core';
import type { BagNet, BagNetImageInput, EvidenceDomain, EvidenceMap } from '@bagnet-vis/core';
import { colormap } from '@bagnet-vis/elements';
import type { CellRef, EvidenceBarView, EvidenceSign, GalleryShow, HeatmapResolution } from '@bagnet-vis/elements';

/** Options every view takes. */
export interface ViewOptions {
  /** CSS width of the view (a number is in px). Default: the width of the draw area. */
  readonly width?: number | string;
}

/** Display options of `<bagnet-heatmap>` (see its attributes of the same names). */
export interface HeatmapDisplayOptions {
  /** d3-scale-chromatic scheme: diverging (`RdBu`, default: red = for, blue = against) or sequential. */
  readonly colormap?: string;
  /** Colour limits at ±(this percentile of |evidence|), 0–100. Default 99. */
  readonly clipPercentile?: number;
  /** Opacity of the evidence over the image, 0–1. Default 0.75. */
  readonly opacity?: number;
  /** `all` (default), `positive` (for the class) or `negative` (against). */
  readonly sign?: EvidenceSign;
  /** Evidence weaker than this fraction of the colour limit is not drawn, 0–1. Default 0. */
  readonly threshold?: number;
  /** `cells` (default) or `dense` (one value per pixel, progressive; needs `model`). */
  readonly resolution?: HeatmapResolution;
  /** Draws the image's edges over the evidence. */
  readonly outline?: boolean;
  /** Fixed colour limits `[low, high]` (e.g. shared by several heatmaps); `null`: from the map. */
  readonly domain?: EvidenceDomain | null;
}

/** Options of `render.heatmap`. */
/** The keys of {@link HeatmapDisplayOptions}, in the order they are applied. */
export const HEATMAP_DISPLAY_KEYS = [
  'colormap',
  'clipPercentile',
  'opacity',
  'sign',
  'threshold',
  'resolution',
  'outline',
  'domain',
] as const satisfies readonly (keyof HeatmapDisplayOptions)[];

export interface HeatmapOptions extends ViewOptions, HeatmapDisplayOptions {
  /** The image the evidence map was computed from, drawn under the evidence. */
  readonly image?: BagNetImageInput;
  /** The model that computed the map: needed only for `resolution: 'dense'`. */
  readonly model?: BagNet;
  /** The class whose evidence is shown; `null`: the top-1 class (the default). */
  readonly classIndex?: number | null;
}

/** Display options of `<evidence-bar>`. */
export interface EvidenceBarDisplayOptions {
  /** Number of classes shown (the top k by logit). Default 5. */
  readonly k?: number;
  /** Shows each class's softmax probability. */
  readonly showProbabilities?: boolean;
  /** `both` (default), `classes` (the bars only) or `distribution` (the selected class's only). */
  readonly view?: EvidenceBarView;
}

/** Options of `render.evidenceBar`. */
/** The keys of {@link EvidenceBarDisplayOptions}. */
export const EVIDENCE_BAR_DISPLAY_KEYS = [
  'k',
  'showProbabilities',
  'view',
] as const satisfies readonly (keyof EvidenceBarDisplayOptions)[];

export interface EvidenceBarOptions extends ViewOptions, EvidenceBarDisplayOptions {
  /** The selected class; `null`: the top-1 class (the default). */
  readonly classIndex?: number | null;
  /** A cell to mark in the distribution (e.g. the one hovered in a heatmap); `null`: none. */
  readonly highlight?: CellRef | null;
}

/** Display options of `<patch-gallery>`. */
export interface PatchGalleryDisplayOptions {
  /** Patches per list. Default 5. */
  readonly k?: number;
  /** `both` (default), `most` (evidence for the class) or `least` (against). */
  readonly show?: GalleryShow;
}

/** Options of `render.patchGallery`. */
/** The keys of {@link PatchGalleryDisplayOptions}. */
export const PATCH_GALLERY_DISPLAY_KEYS = [
  'k',
  'show',
] as const satisfies readonly (keyof PatchGalleryDisplayOptions)[];

export interface PatchGalleryOptions extends ViewOptions, PatchGalleryDisplayOptions {
  /** The image the evidence map was computed from: the patches are cut out of it. */
  readonly image: BagNetImageInput;
  /** The class whose patches are shown; `null`: the top-1 class (the default). */
  readonly classIndex?: number | null;
}

/** The CSS width of a `width` option. */
export function cssWidth(width: number | string): string {
  return typeof width === 'number' ? `${width}px` : width;
}

/** Throws unless `evidence` is an EvidenceMap (by shape, so that a second copy of core works too). */
export function checkEvidence(evidence: EvidenceMap, where: string): void {
  const value = evidence as unknown as Partial<EvidenceMap> | null | undefined;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof value.classMap !== 'function' ||
    typeof value.topClasses !== 'function' ||
    value.geometry === undefined
  ) {
    throw new BagNetInputError(
      `${where}: evidence must be an EvidenceMap (from \`await model.evidence(image)\`), got ${
        value === null ? 'null' : typeof value
      }.`,
    );
  }
}

/** Throws unless `classIndex` is unset, `null` or a class of `evidence` (or of a model). */
export function checkClassIndex(
  owner: { checkClass(classIndex: number): void },
  classIndex: number | null | undefined,
  where: string,
): void {
  if (classIndex === undefined || classIndex === null) return;
  try {
    owner.checkClass(classIndex);
  } catch (e) {
    throw new BagNetInputError(`${where}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** Throws unless `name` is unset or a known colormap. */
export function checkColormap(name: string | undefined, where: string): void {
  if (name === undefined) return;
  try {
    colormap(name);
  } catch (e) {
    throw new BagNetInputError(`${where}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/**
 * Copies the options among `keys` that are set onto the element's properties of the same names
 * (`null` resets a property to unset); options left out keep the element's current value.
 */
export function assignDefined<O extends object>(
  element: object,
  options: O,
  keys: readonly (keyof O & string)[],
): void {
  const target = element as Record<string, unknown>;
  for (const key of keys) {
    const value = options[key];
    if (value !== undefined) target[key] = value === null ? undefined : value;
  }
}
