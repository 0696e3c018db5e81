import { html, nothing } from 'lit';
import type { PropertyValues, TemplateResult } from 'lit';
import { clipPercentileOf, clipScale } from '@bagnet-vis/core';
import type {
  BagNetImageInput,
  DenseEvidence,
  EvidenceDomain,
  EvidenceMap,
  PatchEvidence,
  PatchGeometry,
} from '@bagnet-vis/core';

import { colormap, DEFAULT_COLORMAP } from '../shared/colormap.js';
import type { Colormap } from '../shared/colormap.js';
import { EvidenceViewElement } from '../shared/evidence-view.js';
import { dispatchBagNetEvent, dispatchValueEvent, elementError } from '../shared/events.js';
import type { CellEvidence, CellRef, ElementErrorDetail } from '../shared/events.js';
import { evidenceWord, formatEvidence } from '../shared/format.js';
import { drawImageSource, imageSize } from '../shared/image-source.js';
import { patchWindowStyles, renderPatchWindow } from '../shared/patch-window.js';
import type { PatchWindowMark } from '../shared/patch-window.js';
import { styleProps } from '../shared/style-props.js';
import { themeStyles } from '../shared/theme.styles.js';
import { VERSION } from '../version.js';
import { DenseMapsController } from './dense-maps.js';
import type { DenseRequest } from './dense-maps.js';
import { EVIDENCE_SIGNS, paintEvidence } from './evidence-painter.js';
import type { EvidenceSign, PaintOptions } from './evidence-painter.js';
import { canvasBlob, compositeHeatmap, downloadBlob } from './heatmap-export.js';
import { heatmapStyles } from './heatmap.styles.js';
import { drawEdges } from './image-edges.js';
import { paintLegendBar, renderLegend } from './legend.js';
import { cellGrid, denseGrid } from './overlay-grid.js';
import type { OverlayGrid } from './overlay-grid.js';

/** `cells`: one value per cell of the evidence grid; `dense`: one value per pixel (progressive). */
export type HeatmapResolution = 'cells' | 'dense';

/** What the last overlay paint used; a repaint happens only when one of these changes. */
type PaintKey = readonly [Float32Array | undefined, Colormap, number, EvidenceDomain | undefined, EvidenceSign, number];

function sameKey(a: PaintKey | undefined, b: PaintKey): boolean {
  return a !== undefined && a.every((v, i) => v === b[i]);
}

function sameCell(a: CellRef | null | undefined, b: CellRef | null | undefined): boolean {
  return (a ?? null) === (b ?? null) || (!!a && !!b && a.row === b.row && a.col === b.col);
}

const pct = (v: number, of: number) => `${(100 * v) / of}%`;

/**
 * The image with a BagNet's class evidence on top: the evidence map for one class, one cell per
 * patch at the model's stride, through a diverging colormap centred at zero (red = evidence for
 * the class, blue = against, as in the paper). Hover or move the keyboard cursor over a cell to
 * see its receptive field and value; click or press Enter to select it.
 *
 * Works alone from attributes (`model-src` + `src`), from properties (`.model` + `.image`, or a
 * precomputed `.evidence`), or inside `<bagnet-explainer>`, whose model run it shares.
 *
 * @tagname bagnet-heatmap
 * @summary Class-evidence heatmap of a BagNet over its image, with legend, cell cursor and export.
 *
 * @fires {Event} input - The active cell (`.value`) changed by hover or keyboard.
 * @fires {Event} change - A cell was selected (click, Enter) or the selection cleared (Escape); `.value` is it.
 * @fires {CustomEvent<CellEvidence | null>} bagnet-cell-hover - The cell under the pointer or cursor.
 * @fires {CustomEvent<CellEvidence | null>} bagnet-cell-select - The selected cell.
 * @fires {CustomEvent<EvidenceDetail>} bagnet-evidence - The element computed or was given a new evidence map.
 * @fires {CustomEvent<DenseLevelDetail>} bagnet-dense-level - `dense`: a level of the per-pixel map (8, 4, 2, then 1 px) was painted.
 * @fires {CustomEvent<ElementErrorDetail>} bagnet-error - An input could not be used (also shown inline).
 * @fires {ErrorEvent} error - The same error as a standard `error` event (does not bubble).
 *
 * @csspart base - Everything but the error block.
 * @csspart stage - The box holding image and overlay (aspect ratio of the image).
 * @csspart figure - The picture (`role="img"` with the text summary).
 * @csspart image - Canvas with the image.
 * @csspart overlay - Canvas with the evidence, one pixel per cell, scaled with CSS.
 * @csspart outline - Canvas with the image's edges (`outline`).
 * @csspart cells - The focusable layer that takes pointer and keyboard input.
 * @csspart receptive-field - Box around the active cell's receptive field.
 * @csspart selection - Box around the selected cell's receptive field.
 * @csspart patch-window - Box around a patch-robustness certificate's worst-case window (`.patchWindow`).
 * @csspart tooltip - Row, column and evidence of the active cell.
 * @csspart legend - Colour scale with numeric ticks.
 * @csspart legend-bar - Canvas with the colour scale.
 * @csspart legend-tick - One numeric tick.
 * @csspart notice - A note, e.g. when dense maps are unavailable.
 * @csspart status - Loading / computing indicator.
 * @csspart error - The inline error message.
 *
 * @cssproperty --bagnet-heatmap-background - Behind the image. Default `#f6f8fa`.
 * @cssproperty --bagnet-heatmap-outline-color - Colour of the image edges. Default `#000`.
 * @cssproperty --bagnet-heatmap-outline-opacity - Opacity of the image edges. Default `0.35`.
 * @cssproperty --bagnet-receptive-field-color - Active cell box. Default `#111`.
 * @cssproperty --bagnet-receptive-field-width - Box border width. Default `2px`.
 * @cssproperty --bagnet-receptive-field-halo - Light ring around the box. Default `rgba(255,255,255,0.85)`.
 * @cssproperty --bagnet-selection-color - Selected cell box. Default `#0969da`.
 * @cssproperty --bagnet-patch-window-color - Worst-case patch window box. Default `#9a6700`.
 * @cssproperty --bagnet-tooltip-background - Default `rgba(31,35,40,0.92)`.
 * @cssproperty --bagnet-tooltip-color - Default `#fff`.
 * @cssproperty --bagnet-legend-height - Height of the colour scale. Default `0.75rem`.
 * @cssproperty --bagnet-focus-color - Focus ring. Default `#0969da`.
 * @cssproperty --bagnet-font-family - Default `system-ui, sans-serif`.
 * @cssproperty --bagnet-text-color - Default `#1f2328`.
 * @cssproperty --bagnet-muted-color - Legend and status text. Default `#59636e`.
 * @cssproperty --bagnet-error-color - Error accent. Default `#cf222e`.
 */
export class BagNetHeatmapElement extends EvidenceViewElement {
  /** The package version (its package.json's), checked by the guarded `define`. */
  static readonly version: string = VERSION;

  static override styles = [themeStyles, heatmapStyles, patchWindowStyles];

  static override properties = {
    colormap: { type: String, reflect: true },
    clipPercentile: { type: Number, attribute: 'clip-percentile', reflect: true },
    opacity: { type: Number, reflect: true },
    sign: { type: String, reflect: true },
    threshold: { type: Number, reflect: true },
    resolution: { type: String, reflect: true },
    outline: { type: Boolean, reflect: true },
    domain: { attribute: false },
    highlight: { attribute: false },
    selectedCell: { attribute: false },
    patchWindow: { attribute: false },
  };

  /**
   * d3-scale-chromatic scheme name, any case: diverging (`RdBu`, `PiYG`, … — the first colour is
   * evidence for the class) or sequential (`Viridis`, `Reds`, …).
   */
  declare colormap: string;
  /** Colour limits are ±(this percentile of |evidence|), as the reference. 0–100. */
  declare clipPercentile: number;
  /** Opacity of the evidence over the image, 0–1. */
  declare opacity: number;
  /** Which evidence to show: `all`, `positive` (for the class) or `negative` (against). */
  declare sign: EvidenceSign;
  /** Evidence weaker than this fraction of the colour limit is not drawn (the image shows). 0–1. */
  declare threshold: number;
  /**
   * `cells` (one value per patch, from the one model run) or `dense` (one value per pixel: the
   * patch centred on each pixel, as the reference heatmap; computed per class with core's
   * `denseEvidence` and painted progressively at strides 8, 4, 2, 1). Dense needs a model; with
   * only a precomputed `.evidence` the cell map is shown with a notice.
   */
  declare resolution: HeatmapResolution;
  /** Draws the image's edges over the evidence, as the reference plots do. */
  declare outline: boolean;
  /**
   * Fixed colour limits `[low, high]` (e.g. shared by several heatmaps, see `sharedDomain`);
   * unset: ±`clip-percentile` of this map.
   */
  declare domain: EvidenceDomain | undefined;
  /** A cell to outline as if hovered, e.g. the tile hovered in a separate `<patch-gallery>`. */
  declare highlight: CellRef | null;
  /** The selected cell (set by click / Enter, or by the page); `null` for none. */
  declare selectedCell: CellRef | null;
  /**
   * A window of cells to outline, e.g. a `<patch-certificate>`'s worst-case patch window; unset:
   * the one a surrounding `<bagnet-explainer>` reports.
   */
  declare patchWindow: PatchWindowMark | null;

  #hover: CellRef | null = null;
  #cursor: CellRef | null = null;
  #paintedKey?: PaintKey;
  #drawnImage?: BagNetImageInput | null;
  #edgesFor?: BagNetImageInput | null;
  #limits?: { values: Float32Array; clip: number; domain: EvidenceDomain };
  #imageDraw = Promise.resolve();
  #summary?: { evidence: EvidenceMap; classIndex: number; text: string };
  readonly #denseMaps = new DenseMapsController(this);

  constructor() {
    super();
    this.colormap = 'RdBu'; // DEFAULT_COLORMAP, spelled out for the manifest
    this.clipPercentile = 99;
    this.opacity = 0.75;
    this.sign = 'all';
    this.threshold = 0;
    this.resolution = 'cells';
    this.outline = false;
    this.domain = undefined;
    this.highlight = null;
    this.selectedCell = null;
    this.patchWindow = null;
  }

  // ---------------------------------------------------------------- public API

  /** The active cell: the one under the pointer or keyboard cursor, else the selected one. */
  get value(): CellEvidence | null {
    return this.#cellEvidence(this.#hover ?? this.#shownSelection());
  }

  /** The colour limits in use `[low, high]` (after clipping), or undefined without evidence. */
  get limits(): EvidenceDomain | undefined {
    const grid = this.#overlayGrid();
    return grid === undefined ? undefined : this.#domainOf(grid.values);
  }

  /**
   * The dense level shown (`resolution="dense"`): its sample `stride` (8, 4, 2, then 1) and
   * `isFinal`; undefined while the cell map is shown.
   */
  get denseLevel(): DenseEvidence | undefined {
    return this.#denseShown();
  }

  /** The text summary read by screen readers: class, logit, strongest patches for and against. */
  get summary(): string {
    const { evidence, classIndex, status } = this.data;
    if (evidence === undefined || classIndex === undefined) {
      return status === 'loading' || status === 'running' ? 'Evidence map: computing…' : 'Evidence map: no data.';
    }
    const cached = this.#summary;
    if (cached?.evidence === evidence && cached.classIndex === classIndex) return cached.text;
    const text = this.#describeMap(evidence, classIndex);
    this.#summary = { evidence, classIndex, text };
    return text;
  }

  #describeMap(evidence: EvidenceMap, classIndex: number): string {
    const g = evidence.geometry;
    const label = evidence.labels[classIndex] ?? `class ${classIndex}`;
    const where = (p: PatchEvidence) => `row ${p.row + 1}, column ${p.col + 1} (${formatEvidence(p.logit)})`;
    const classEvidence = evidence.classEvidence(classIndex);
    const most = classEvidence.strongest(3, 'for');
    const least = classEvidence.strongest(3, 'against');
    return (
      `Evidence map for “${label}” (class ${classIndex}, logit ${formatEvidence(evidence.logits[classIndex]!)}): ` +
      `${g.rows} × ${g.cols} patches of ${g.receptiveField} × ${g.receptiveField} px. ` +
      (most.length > 0 ? `Strongest evidence for it: ${most.map(where).join('; ')}. ` : 'No patch speaks for it. ') +
      (least.length > 0 ? `Strongest against: ${least.map(where).join('; ')}.` : 'No patch speaks against it.')
    );
  }

  /**
   * The composite as a PNG: image, evidence overlay at the current opacity, outline and legend.
   * Rejects when there is nothing to export yet.
   */
  async toBlob(type = 'image/png', quality?: number): Promise<Blob> {
    await this.updateComplete;
    await this.#imageDraw;
    return canvasBlob(this.#composite(), type, quality);
  }

  /** Downloads the composite PNG (see {@link toBlob}) as `filename`. */
  async download(filename = 'bagnet-heatmap.png'): Promise<void> {
    downloadBlob(await this.toBlob(), filename);
  }

  // ---------------------------------------------------------------- data

  #colormap(): Colormap {
    try {
      return colormap(this.colormap ?? DEFAULT_COLORMAP);
    } catch {
      return colormap(DEFAULT_COLORMAP);
    }
  }

  protected override viewErrors(): ElementErrorDetail[] {
    const errors: ElementErrorDetail[] = [];
    const denseError = this.#denseMaps.run?.error;
    if (denseError) errors.push(denseError);
    try {
      colormap(this.colormap ?? DEFAULT_COLORMAP);
    } catch (e) {
      errors.push(elementError('colormap', e));
    }
    return errors;
  }

  /** The shown class's patch logits (core's, shared: do not mutate). */
  #classValues(): Float32Array | undefined {
    const { evidence, classIndex } = this.data;
    return evidence === undefined || classIndex === undefined ? undefined : evidence.classEvidence(classIndex).values;
  }

  #domainOf(values: Float32Array): EvidenceDomain {
    if (this.domain !== undefined && this.domain !== null) return this.domain;
    const clip = this.#clip();
    const l = this.#limits;
    if (l?.values === values && l.clip === clip) return l.domain;
    const domain = clipScale(values, clip).domain;
    this.#limits = { values, clip, domain };
    return domain;
  }

  #clip(): number {
    return clipPercentileOf(this.clipPercentile);
  }

  /** `opacity` clamped to 0–1; not a number (`opacity="abc"`): the default 0.75, as for the other options. */
  #opacity(): number {
    const o = Number(this.opacity);
    return Number.isFinite(o) ? Math.min(1, Math.max(0, o)) : 0.75;
  }

  #paintOptions(values: Float32Array): PaintOptions {
    const t = Number(this.threshold);
    return {
      colormap: this.#colormap(),
      domain: this.#domainOf(values),
      sign: EVIDENCE_SIGNS.includes(this.sign) ? this.sign : 'all',
      threshold: Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0,
    };
  }

  #geometry(): PatchGeometry | undefined {
    return this.data.evidence?.geometry;
  }

  #shownSelection(): CellRef | null {
    return this.linked ? this.linkedSelectedCell : this.selectedCell;
  }

  #shownHover(): CellRef | null {
    const linkedHover = this.linkedHoveredCell;
    return this.#hover ?? this.highlight ?? (linkedHover?.imageIndex === undefined ? linkedHover : null);
  }

  #cellEvidence(cell: CellRef | null): CellEvidence | null {
    const { evidence, classIndex } = this.data;
    if (cell === null || evidence === undefined || classIndex === undefined) return null;
    const g = evidence.geometry;
    if (cell.row < 0 || cell.col < 0 || cell.row >= g.rows || cell.col >= g.cols) return null;
    const { logit, contribution, rect } = evidence.classEvidence(classIndex).patch(cell.row, cell.col);
    return { row: cell.row, col: cell.col, classIndex, logit, contribution, rect };
  }

  // ---------------------------------------------------------------- interaction

  #setHover(cell: CellRef | null): void {
    if (sameCell(cell, this.#hover)) return;
    this.#hover = cell;
    this.requestUpdate();
    const detail = this.#cellEvidence(cell);
    dispatchBagNetEvent(this, 'bagnet-cell-hover', detail);
    dispatchValueEvent(this, 'input');
    if (this.linked) this.explanation!.actions.hoverCell(cell);
  }

  #select(cell: CellRef | null): void {
    if (this.linked) this.explanation!.actions.selectCell(cell);
    else this.selectedCell = cell;
    this.requestUpdate();
    dispatchBagNetEvent(this, 'bagnet-cell-select', this.#cellEvidence(cell));
    dispatchValueEvent(this, 'change');
  }

  #cellFromPointer(e: MouseEvent): CellRef | null {
    const g = this.#geometry();
    if (g === undefined) return null;
    const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return null;
    const x = ((e.clientX - r.left) / r.width) * g.imageWidth;
    const y = ((e.clientY - r.top) / r.height) * g.imageHeight;
    return g.cellAt(x, y);
  }

  #onPointerMove = (e: PointerEvent) => {
    const cell = this.#cellFromPointer(e);
    if (cell !== null) this.#cursor = cell;
    this.#setHover(cell);
  };

  #onPointerLeave = () => {
    if (this.shadowRoot?.activeElement?.classList.contains('cells')) return; // the keyboard cursor stays
    this.#setHover(null);
  };

  #onClick = (e: MouseEvent) => {
    const cell = this.#cellFromPointer(e);
    if (cell === null) return;
    this.#cursor = cell;
    this.#setHover(cell);
    this.#select(cell);
  };

  #onFocus = () => {
    const { evidence, classIndex } = this.data;
    if (evidence === undefined || classIndex === undefined) return;
    if (this.#cursor === null) {
      const selected = this.#shownSelection();
      const top = evidence.classEvidence(classIndex).top(1)[0];
      this.#cursor = selected ?? (top ? { row: top.row, col: top.col } : { row: 0, col: 0 });
    }
    this.#setHover(this.#cursor);
  };

  #onBlur = () => {
    this.#setHover(null);
  };

  #onKeyDown = (e: KeyboardEvent) => {
    const g = this.#geometry();
    if (g === undefined) return;
    const at = this.#cursor ?? { row: 0, col: 0 };
    let { row, col } = at;
    switch (e.key) {
      case 'ArrowLeft':
        col--;
        break;
      case 'ArrowRight':
        col++;
        break;
      case 'ArrowUp':
        row--;
        break;
      case 'ArrowDown':
        row++;
        break;
      case 'PageUp':
        row -= 5;
        break;
      case 'PageDown':
        row += 5;
        break;
      case 'Home':
        col = 0;
        if (e.ctrlKey || e.metaKey) row = 0;
        break;
      case 'End':
        col = g.cols - 1;
        if (e.ctrlKey || e.metaKey) row = g.rows - 1;
        break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.#select({ row, col });
        return;
      case 'Escape':
        if (this.#shownSelection() !== null) {
          e.preventDefault();
          this.#select(null);
        }
        return;
      default:
        return;
    }
    e.preventDefault();
    row = Math.min(g.rows - 1, Math.max(0, row));
    col = Math.min(g.cols - 1, Math.max(0, col));
    this.#cursor = { row, col };
    this.#setHover(this.#cursor);
  };

  // ---------------------------------------------------------------- lifecycle

  protected override willUpdate(changed: PropertyValues<this>): void {
    const before = this.data.evidence;
    super.willUpdate(changed);
    if (this.data.evidence !== before) {
      // A new map (new image or model): the old cursor may be outside the new grid.
      const g = this.data.evidence?.geometry;
      const inside = (c: CellRef | null) => c !== null && g !== undefined && c.row < g.rows && c.col < g.cols;
      if (!inside(this.#cursor)) this.#cursor = null;
      if (!inside(this.#hover)) this.#hover = null;
      if (!inside(this.selectedCell)) this.selectedCell = null;
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    const { image } = this.data;
    if (image !== this.#drawnImage) {
      const next = image ?? null;
      this.#drawnImage = next;
      // Chained, so a slow draw (a tensor read) never lands after a newer image's.
      this.#imageDraw = this.#imageDraw.then(() => this.#drawImage(next));
    }
    if (this.outline && this.#edgesFor !== (image ?? null)) {
      this.#edgesFor = image ?? null;
      void this.#imageDraw.then(() => this.#drawEdges());
    }
    this.#denseMaps.sync(this.#denseRequest());
    this.#paint();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#hover = null;
    this.#cursor = null;
  }

  async #drawImage(image: BagNetImageInput | null): Promise<void> {
    const canvas = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.image');
    if (canvas === null) return;
    if (image === null) {
      canvas.getContext('2d')?.clearRect(0, 0, canvas.width, canvas.height);
      return;
    }
    try {
      await drawImageSource(canvas, image);
    } catch {
      // A disposed tensor or a detached bitmap: the evidence still shows, without its picture.
    }
  }

  #drawEdges(): void {
    const image = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.image');
    const outline = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.outline');
    if (image === null || outline === null) return;
    const color = getComputedStyle(this).getPropertyValue('--bagnet-heatmap-outline-color').trim() || '#000';
    drawEdges(image, outline, color);
  }

  /** Repaints the overlay and legend when data, colormap or scale changed (not for opacity). */
  #paint(): void {
    const grid = this.#overlayGrid();
    const key: PaintKey = [
      grid?.values,
      this.#colormap(),
      this.#clip(),
      this.domain ?? undefined,
      this.sign,
      Number(this.threshold),
    ];
    if (sameKey(this.#paintedKey, key)) return;
    this.#paintedKey = key;
    const overlay = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.overlay');
    if (overlay === null) return;
    if (grid === undefined) {
      overlay.getContext('2d')?.clearRect(0, 0, overlay.width, overlay.height);
      return;
    }
    const options = this.#paintOptions(grid.values);
    if (overlay.width !== grid.cols) overlay.width = grid.cols;
    if (overlay.height !== grid.rows) overlay.height = grid.rows;
    const ctx = overlay.getContext('2d');
    if (ctx === null) return;
    const pixels = ctx.createImageData(grid.cols, grid.rows);
    paintEvidence(pixels.data, grid.values, options);
    ctx.putImageData(pixels, 0, 0);
    const legend = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.legend-bar');
    if (legend) paintLegendBar(legend, options);
  }

  /** The grid the overlay shows: the latest dense level of the class if any, else the cells. */
  #overlayGrid(): OverlayGrid | undefined {
    const dense = this.#denseShown();
    if (dense !== undefined && this.data.classIndex !== undefined) return denseGrid(dense, this.data.classIndex);
    const values = this.#classValues();
    const g = this.#geometry();
    return values === undefined || g === undefined ? undefined : cellGrid(values, g);
  }

  // ---------------------------------------------------------------- dense maps

  /** The model, image and class of the dense map wanted (`resolution="dense"`), if any. */
  #denseRequest(): DenseRequest | undefined {
    if (this.resolution !== 'dense') return undefined;
    const { model, image, classIndex } = this.data;
    return model === undefined || image === undefined || classIndex === undefined
      ? undefined
      : { model, image, classIndex };
  }

  /** The dense level to show for the current model, image and class, if any. */
  #denseShown(): DenseEvidence | undefined {
    return this.#denseMaps.shown(this.#denseRequest());
  }

  #renderDenseState(): TemplateResult | typeof nothing {
    if (this.resolution !== 'dense') return nothing;
    const { model, evidence } = this.data;
    if (evidence !== undefined && model === undefined) {
      return html`<p part="notice" class="status">
        Dense (per-pixel) maps need the model (<code>model-src</code> or <code>.model</code>): showing the cell map.
      </p>`;
    }
    return this.#denseMaps.renderProgress();
  }

  /** Draws image + overlay + outline + legend into a new canvas. */
  #composite(): HTMLCanvasElement {
    const grid = this.#overlayGrid();
    const canvas = (name: string) => this.renderRoot.querySelector<HTMLCanvasElement>(`canvas.${name}`);
    const image = canvas('image');
    const overlay = canvas('overlay');
    if (grid === undefined || !image || !overlay) {
      throw new Error('<bagnet-heatmap>: nothing to export yet (no evidence map).');
    }
    return compositeHeatmap({
      grid,
      image,
      withImage: this.data.image !== undefined,
      overlay,
      opacity: this.#opacity(),
      outline: this.outline ? canvas('outline') : null,
      legend: canvas('legend-bar'),
      options: this.#paintOptions(grid.values),
    });
  }

  // ---------------------------------------------------------------- render

  #renderBox(cell: CellRef | null, part: 'receptive-field' | 'selection'): TemplateResult | typeof nothing {
    const g = this.#geometry();
    if (cell === null || g === undefined || cell.row >= g.rows || cell.col >= g.cols) return nothing;
    const r = g.cellRect(cell.row, cell.col);
    return html`<div
      part=${part}
      class="box ${part === 'selection' ? 'selected' : ''}"
      style=${styleProps({
        left: pct(r.x, g.imageWidth),
        top: pct(r.y, g.imageHeight),
        width: pct(r.width, g.imageWidth),
        height: pct(r.height, g.imageHeight),
      })}
    ></div>`;
  }

  #describeCell(cell: CellEvidence): string {
    const label = this.data.evidence?.labels[cell.classIndex] ?? `class ${cell.classIndex}`;
    return (
      `Row ${cell.row + 1}, column ${cell.col + 1}: ${formatEvidence(cell.logit)}, ` +
      `evidence ${evidenceWord(cell.contribution)} “${label}”`
    );
  }

  #renderTooltip(cell: CellEvidence | null): TemplateResult | typeof nothing {
    const g = this.#geometry();
    if (cell === null || g === undefined) return nothing;
    const r = cell.rect;
    const below = r.y < g.imageHeight * 0.2;
    return html`<div
      part="tooltip"
      class="tooltip ${below ? 'below' : ''}"
      aria-hidden="true"
      style=${styleProps({
        left: pct(Math.min(Math.max(r.x + r.width / 2, g.imageWidth * 0.15), g.imageWidth * 0.85), g.imageWidth),
        top: pct(below ? r.y + r.height : r.y, g.imageHeight),
      })}
    >
      row ${cell.row + 1}, col ${cell.col + 1} · <strong>${formatEvidence(cell.logit)}</strong>
      ${evidenceWord(cell.contribution)}
    </div>`;
  }

  protected override render(): TemplateResult {
    const { evidence, image, classIndex } = this.data;
    const g = evidence?.geometry;
    const size = g ? { width: g.imageWidth, height: g.imageHeight } : image ? imageSize(image) : undefined;
    const grid = this.#overlayGrid();
    const hover = this.#shownHover();
    const active = this.#cellEvidence(hover);
    const selection = this.#shownSelection();
    const label = evidence && classIndex !== undefined ? (evidence.labels[classIndex] ?? `class ${classIndex}`) : '';
    const overlayStyle = grid
      ? {
          left: pct(grid.x0, grid.imageWidth),
          top: pct(grid.y0, grid.imageHeight),
          width: pct(grid.cols * grid.step, grid.imageWidth),
          height: pct(grid.rows * grid.step, grid.imageHeight),
          opacity: String(this.#opacity()),
        }
      : { display: 'none' };
    return html`${this.renderErrors()}
      <div part="base">
        <div
          part="stage"
          class="stage"
          style=${styleProps({ aspectRatio: size ? `${size.width} / ${size.height}` : '1 / 1' })}
        >
          <div part="figure" class="figure" role="img" aria-label=${this.summary}>
            <canvas part="image" class="image"></canvas>
            <canvas part="overlay" class="overlay" style=${styleProps(overlayStyle)}></canvas>
            <canvas part="outline" class="outline" ?hidden=${!this.outline}></canvas>
            ${this.#renderBox(selection, 'selection')} ${this.#renderBox(hover, 'receptive-field')}
            ${renderPatchWindow(this.patchWindow ?? (this.linked ? (this.explanation?.patchWindow ?? null) : null), g)}
          </div>
          <div
            part="cells"
            class="cells"
            role="application"
            aria-roledescription="evidence map"
            aria-label=${
              evidence
                ? `Cells of the evidence map for “${label}”, ${g!.rows} rows by ${g!.cols} columns. ` +
                  'Arrow keys move the cell cursor, Enter selects the cell, Escape clears the selection.'
                : 'Evidence map cells (no data yet)'
            }
            aria-describedby="cursor-text"
            tabindex=${evidence ? '0' : '-1'}
            @pointermove=${this.#onPointerMove}
            @pointerleave=${this.#onPointerLeave}
            @click=${this.#onClick}
            @focus=${this.#onFocus}
            @blur=${this.#onBlur}
            @keydown=${this.#onKeyDown}
          ></div>
          ${this.#renderTooltip(active)}
        </div>
        ${renderLegend(grid ? this.#paintOptions(grid.values) : undefined)}
        <p id="cursor-text" class="visually-hidden" aria-live="polite">${active ? this.#describeCell(active) : ''}</p>
        ${this.#renderDenseState()} ${this.renderStatus()}
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'bagnet-heatmap': BagNetHeatmapElement;
  }
}
