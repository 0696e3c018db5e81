export * as render from './render.js';
export * as show from './show.js';
export { BagNetDrawableError, TfjsVisMissingError } from './errors.js';
export { loadTfjsVis, resolveDrawArea } from './drawable.js';
export type { Drawable, TfjsVisApi, TfjsVisLoader, VisSurface, VisSurfaceInfo } from './drawable.js';
export type {
  EvidenceBarDisplayOptions,
  EvidenceBarOptions,
  HeatmapDisplayOptions,
  HeatmapOptions,
  PatchGalleryDisplayOptions,
  PatchGalleryOptions,
  ViewOptions,
} from './options.js';
export type { ExplainOptions, ExplainViews } from './show.js';
