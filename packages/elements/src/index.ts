export { BagNetHeatmapElement } from './heatmap/heatmap.element.js';
export type { HeatmapResolution } from './heatmap/heatmap.element.js';
export { EVIDENCE_SIGNS, lutPosition, paintEvidence } from './heatmap/evidence-painter.js';
export type { EvidenceSign, PaintOptions } from './heatmap/evidence-painter.js';
export { PatchGalleryElement } from './gallery/gallery.element.js';
export type { GalleryShow, GalleryTile } from './gallery/gallery.element.js';
export { EvidenceBarElement } from './evidence-bar/evidence-bar.element.js';
export type { ClassEvidenceRow, EvidenceBarView } from './evidence-bar/evidence-bar.element.js';
export { BagNetExplainerElement } from './explainer/explainer.element.js';
export { PatchCertificateElement } from './certificate/certificate.element.js';
export { patchWindowStyles, renderPatchWindow } from './shared/patch-window.js';
export type { PatchWindowMark } from './shared/patch-window.js';
export { EvidenceViewElement } from './shared/evidence-view.js';
export type { ViewData } from './shared/evidence-view.js';
export {
  colormap,
  colormapName,
  DEFAULT_COLORMAP,
  DIVERGING_COLORMAPS,
  isColormapName,
  LUT_SIZE,
  SEQUENTIAL_COLORMAPS,
} from './shared/colormap.js';
export type { Colormap, ColormapName, DivergingColormapName, SequentialColormapName } from './shared/colormap.js';
export { explanationContext } from './shared/context.js';
export type { Explanation, ExplanationActions } from './shared/context.js';
export type { LoadStatus } from './shared/evidence-loader.js';
export type {
  BagNetErrorEvent,
  BagNetEvidenceEvent,
  CellEvidence,
  CellHoverEvent,
  CellRef,
  CellSelectEvent,
  ClassSelectDetail,
  ClassSelectEvent,
  DenseLevelDetail,
  DenseLevelEvent,
  ElementErrorCode,
  ElementErrorDetail,
  EvidenceDetail,
} from './shared/events.js';
