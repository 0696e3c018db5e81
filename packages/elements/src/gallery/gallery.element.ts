import { html, nothing } from 'lit';
import type { PropertyValues, TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { BagNetInputError, minedPatchRect, parseMinedPatches, raceAbort } from '@bagnet-vis/core';
import type { BagNetImageInput, EvidenceMap, MinedPatchesFile, PatchRect } from '@bagnet-vis/core';

import { EvidenceViewElement } from '../shared/evidence-view.js';
import { dispatchBagNetEvent, dispatchValueEvent, elementError, isAbort } from '../shared/events.js';
import type { CellEvidence, CellRef, ElementErrorDetail } from '../shared/events.js';
import { evidenceWord, formatEvidence, formatShare } from '../shared/format.js';
import { themeStyles } from '../shared/theme.styles.js';
import { VERSION } from '../version.js';
import { galleryStyles } from './gallery.styles.js';
import { PatchMiningController } from './patch-mining.js';
import { tilesOf } from './tiles.js';
import type { GalleryShow, GalleryTile } from './tiles.js';

export type { GalleryShow, GalleryTile } from './tiles.js';

/** Loads an image URL into a decoded `<img>`. */
async function loadImage(url: string, signal: AbortSignal): Promise<HTMLImageElement> {
  const img = new Image();
  img.decoding = 'async';
  img.src = url;
  try {
    await raceAbort(img.decode(), signal, 'Loading an image');
  } catch (e) {
    if (isAbort(e)) throw e;
    throw new BagNetInputError(`Image ${JSON.stringify(url)} of the mined file could not be loaded or decoded.`, {
      cause: e,
    });
  }
  return img;
}

/** The q × q crop of `rect` (in the image's own pixels, possibly fractional) as q × q pixels. */
function cropScaled(img: HTMLImageElement, rect: PatchRect, size: number): ImageData {
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(img, rect.x, rect.y, rect.width, rect.height, 0, 0, size, size);
  return ctx.getImageData(0, 0, size, size);
}

const srcsConverter = {
  fromAttribute: (value: string | null): string[] | undefined =>
    value === null ? undefined : value.split(/\s+/).filter((s) => s.length > 0),
  toAttribute: (value: readonly string[] | undefined): string | null =>
    value === undefined || value === null ? null : value.join(' '),
};

/** What a gallery shows of a mined-patches file. */
interface MinedFileState {
  readonly key: readonly unknown[];
  readonly classIndex?: number;
  /** The class's label as the file names it. */
  readonly label?: string;
  readonly most: readonly GalleryTile[];
  readonly least: readonly GalleryTile[];
  readonly errors: readonly ElementErrorDetail[];
  readonly loading: boolean;
}

/**
 * The k patches with the most and the k with the least evidence for a class, each cropped from the
 * image at its true receptive field (q × q), with its evidence value, rank and share of the class's
 * total evidence.
 *
 * One image (`src` / `.image`, or `.evidence`, or a surrounding `<bagnet-explainer>`), or a set of
 * images (`srcs` / `.images`): then it mines the top patches of the class across the set with
 * core's `PatchMiner`, one image at a time through the shared evidence cache (only the current
 * top k and their crops are kept), as in the paper's figure of the most informative patches per
 * class. Hover or focus a tile to highlight its cell in a linked heatmap;
 * click to select it.
 *
 * Or a mined-patches file (`mined-src` / `.mined`, written by `bagnet mine` over a whole data set,
 * possibly on many machines): no model is run; the tiles are the file's patches of the class
 * (`class-index`, default the file's first class), each cut from its image (paths relative to the
 * file) and linking to it.
 *
 * @tagname patch-gallery
 * @summary The most and least informative patches of a class, cropped at their receptive field.
 *
 * @fires {Event} input - The hovered / focused tile (`.value`) changed.
 * @fires {Event} change - A tile was selected by click or Enter; `.value` is its cell.
 * @fires {CustomEvent<CellEvidence | null>} bagnet-cell-hover - The tile under the pointer or focus.
 * @fires {CustomEvent<CellEvidence | null>} bagnet-cell-select - The selected tile's cell.
 * @fires {CustomEvent<EvidenceDetail>} bagnet-evidence - The element computed a new evidence map (one image).
 * @fires {CustomEvent<ElementErrorDetail>} bagnet-error - An input could not be used (also shown inline).
 * @fires {ErrorEvent} error - The same error as a standard `error` event (does not bubble).
 *
 * @csspart base - Everything but the error block.
 * @csspart section - The block of one list (`most` or `least` is added).
 * @csspart heading - Title of a list.
 * @csspart list - The `<ol>` of tiles.
 * @csspart tile - One patch (a button; a link to its image for a mined file); `tile-active` when linked-hovered, `tile-selected` when selected.
 * @csspart crop - Canvas with the patch pixels.
 * @csspart rank - `#1`, `#2` …
 * @csspart value - The patch's class logit.
 * @csspart share - Its share of the class's total evidence.
 * @csspart source - Which image of the set it came from.
 * @csspart linked-cell - Line describing the cell hovered in a linked view.
 * @csspart status - Loading / mining indicator.
 * @csspart error - The inline error message.
 *
 * @cssproperty --bagnet-gallery-tile-size - Displayed size of a patch. Default `72px`.
 * @cssproperty --bagnet-gallery-gap - Space between tiles. Default `0.5rem`.
 * @cssproperty --bagnet-tile-background - Default `#f6f8fa`.
 * @cssproperty --bagnet-positive-color - Mark of patches with evidence for the class. Default `#b2182b`.
 * @cssproperty --bagnet-negative-color - Mark of patches with evidence against. Default `#2166ac`.
 * @cssproperty --bagnet-receptive-field-color - Hovered tile border. Default `#111`.
 * @cssproperty --bagnet-selection-color - Selected tile border. Default `#0969da`.
 * @cssproperty --bagnet-focus-color - Focus ring. Default `#0969da`.
 * @cssproperty --bagnet-muted-color - Secondary text. Default `#59636e`.
 */
export class PatchGalleryElement extends EvidenceViewElement {
  /** The package version (its package.json's), checked by the guarded `define`. */
  static readonly version: string = VERSION;

  static override styles = [themeStyles, galleryStyles];

  static override properties = {
    k: { type: Number, reflect: true },
    show: { type: String, reflect: true },
    srcs: { converter: srcsConverter, reflect: true },
    images: { attribute: false },
    minedSrc: { type: String, attribute: 'mined-src', reflect: true },
    mined: { attribute: false },
    selectedCell: { attribute: false },
  };

  /** Patches per list. */
  declare k: number;
  /** Which lists to show: `both`, `most` (evidence for the class) or `least`. */
  declare show: GalleryShow;
  /** Image URLs to mine (attribute: space-separated). Set mode needs `model-src` / `.model` or an explainer. */
  declare srcs: string[] | undefined;
  /** Images to mine (any `BagNet.evidence` input); takes precedence over `srcs`. */
  declare images: BagNetImageInput[] | undefined;
  /** The selected tile's cell (`imageIndex` set in set mode), or `null`. */
  declare selectedCell: CellRef | null;
  /** URL of a mined-patches JSON file (`bagnet mine`) to show; its image paths are relative to it. */
  declare minedSrc: string | undefined;
  /** A parsed mined-patches file to show (takes precedence over `mined-src`); paths relative to the page. */
  declare mined: MinedPatchesFile | undefined;
  #minedFile?: MinedFileState;
  #minedLoad?: AbortController;

  #hover: CellRef | null = null;
  #single?: { key: readonly unknown[]; most: readonly GalleryTile[]; least: readonly GalleryTile[] };
  readonly #mining = new PatchMiningController(this);
  #painted = new WeakMap<HTMLCanvasElement, ImageData>();

  constructor() {
    super();
    this.k = 5;
    this.show = 'both';
    this.srcs = undefined;
    this.images = undefined;
    this.selectedCell = null;
    this.minedSrc = undefined;
    this.mined = undefined;
  }

  /** The hovered tile's cell, else the selected one, with its evidence. */
  get value(): CellEvidence | null {
    return this.#cellEvidence(this.#hover ?? this.#shownSelection());
  }

  /** The tiles shown now. */
  get tiles(): { most: readonly GalleryTile[]; least: readonly GalleryTile[] } {
    const source = this.#fileMode ? this.#minedFile : this.#setMode ? this.#mining.state : this.#single;
    return { most: source?.most ?? [], least: source?.least ?? [] };
  }

  get #setMode(): boolean {
    return !this.#fileMode && ((this.images?.length ?? 0) > 0 || (this.srcs?.length ?? 0) > 0);
  }

  /** Showing a mined-patches file. */
  get #fileMode(): boolean {
    return this.mined !== undefined || (this.minedSrc ?? '') !== '';
  }

  #k(): number {
    const k = Math.floor(Number(this.k));
    return Number.isFinite(k) && k > 0 ? Math.min(k, 100) : 5;
  }

  #show(): GalleryShow {
    return this.show === 'most' || this.show === 'least' ? this.show : 'both';
  }

  #shownSelection(): CellRef | null {
    return this.linked && !this.#setMode ? this.linkedSelectedCell : this.selectedCell;
  }

  #allTiles(): GalleryTile[] {
    const { most, least } = this.tiles;
    return [...most, ...least];
  }

  #tileAt(cell: CellRef | null): GalleryTile | undefined {
    if (cell === null) return undefined;
    return this.#allTiles().find((t) => t.row === cell.row && t.col === cell.col && t.imageIndex === cell.imageIndex);
  }

  #cellEvidence(cell: CellRef | null): CellEvidence | null {
    if (cell === null) return null;
    const tile = this.#tileAt(cell);
    if (tile !== undefined) {
      return {
        row: tile.row,
        col: tile.col,
        ...(tile.imageIndex !== undefined && { imageIndex: tile.imageIndex }),
        classIndex: tile.classIndex,
        logit: tile.logit,
        contribution: tile.contribution,
        rect: tile.rect,
      };
    }
    const { evidence, classIndex } = this.data;
    if (evidence === undefined || classIndex === undefined || cell.imageIndex !== undefined) return null;
    const g = evidence.geometry;
    if (cell.row < 0 || cell.col < 0 || cell.row >= g.rows || cell.col >= g.cols) return null;
    const { logit, contribution, rect } = evidence.classEvidence(classIndex).patch(cell.row, cell.col);
    return { ...cell, classIndex, logit, contribution, rect };
  }

  protected override viewErrors(): ElementErrorDetail[] {
    return [...(this.#mining.state?.errors ?? []), ...(this.#fileMode ? (this.#minedFile?.errors ?? []) : [])];
  }

  // ---------------------------------------------------------------- tiles

  protected override willUpdate(changed: PropertyValues<this>): void {
    super.willUpdate(changed);
    if (this.#fileMode) {
      this.#mining.stop();
      this.#updateMinedFile();
    } else if (this.#setMode) {
      this.#mining.sync({
        model: this.data.model,
        sources: this.images?.length ? this.images : (this.srcs ?? []),
        classIndex: this.classIndex ?? (this.linked ? (this.explanation?.classIndex ?? undefined) : undefined),
        k: this.#k(),
        show: this.#show(),
      });
    } else {
      this.#mining.stop();
      this.#updateSingle();
    }
  }

  #updateSingle(): void {
    const { evidence, image, classIndex } = this.data;
    const key = [evidence, image, classIndex, this.#k(), this.#show()] as const;
    if (this.#single && this.#single.key.every((v, i) => v === key[i])) return;
    if (evidence === undefined || classIndex === undefined) {
      this.#single = { key, most: [], least: [] };
      return;
    }
    const k = this.#k();
    const show = this.#show();
    const placeholder = { key, most: [] as GalleryTile[], least: [] as GalleryTile[] };
    this.#single = placeholder;
    const draw = image ?? this.#blank(evidence);
    void tilesOf(evidence, draw, classIndex, k, show).then(
      (tiles) => {
        if (this.#single !== placeholder) return;
        this.#single = { key, ...tiles };
        this.requestUpdate();
      },
      () => undefined, // the image went away (e.g. a disposed tensor): no tiles
    );
  }

  /** A grey picture of the map's size, for a precomputed map without an image. */
  #blank(evidence: EvidenceMap): ImageData {
    const { imageWidth, imageHeight } = evidence.geometry;
    const data = new ImageData(imageWidth, imageHeight);
    data.data.fill(200);
    return data;
  }

  #updateMinedFile(): void {
    const key = [this.mined, this.minedSrc, this.classIndex, this.#k(), this.#show()];
    const same = this.#minedFile && this.#minedFile.key.every((v, i) => v === key[i]);
    if (same) return;
    this.#minedLoad?.abort();
    const controller = new AbortController();
    this.#minedLoad = controller;
    this.#minedFile = { key, most: [], least: [], errors: [], loading: true };
    void this.#loadMinedFile(key, controller.signal);
  }

  /** Reads the mined file (when given by URL), then loads each shown patch's image and cuts the patch. */
  async #loadMinedFile(key: readonly unknown[], signal: AbortSignal): Promise<void> {
    const publish = (state: Omit<MinedFileState, 'key'>) => {
      if (signal.aborted) return;
      this.#minedFile = { key, ...state };
      this.requestUpdate();
    };
    // Publish after the update that started this load (its errors are already computed): an
    // update requested during willUpdate is folded into the current one and would never show.
    await Promise.resolve();
    let file = this.mined;
    const base = new URL(this.mined === undefined ? this.minedSrc! : document.baseURI, document.baseURI);
    try {
      if (file === undefined) {
        const response = await raceAbort(fetch(base, { signal }), signal, 'Loading the mined file');
        if (!response.ok)
          throw new BagNetInputError(`mined-src ${JSON.stringify(this.minedSrc)}: HTTP ${response.status}.`);
        file = parseMinedPatches(
          await raceAbort(response.text(), signal, 'Loading the mined file'),
          `mined-src ${JSON.stringify(this.minedSrc)}`,
        );
      }
      const classIndex = this.classIndex ?? file.run.classes[0]!;
      const record = file.results.find((r) => r.classIndex === classIndex);
      if (record === undefined) {
        throw new BagNetInputError(
          `class-index ${classIndex} is not in the mined file; it holds classes ${file.run.classes.join(', ')}.`,
        );
      }
      const k = this.#k();
      const show = this.#show();
      const images = new Map<string, Promise<HTMLImageElement>>();
      const run = file.run;
      const tiles = async (order: 'most' | 'least'): Promise<GalleryTile[]> =>
        show === 'both' || show === order
          ? Promise.all(
              record[order].slice(0, k).map(async (p, r) => {
                const href = new URL(p.image, base).href;
                if (!images.has(href)) images.set(href, loadImage(href, signal));
                const img = await images.get(href)!;
                const rect = minedPatchRect(p, run, img.naturalWidth, img.naturalHeight);
                return {
                  rank: r + 1,
                  row: p.row,
                  col: p.col,
                  rect: { x: p.x, y: p.y, width: p.size, height: p.size },
                  logit: p.logit,
                  contribution: Number.NaN,
                  share: Number.NaN,
                  order,
                  classIndex,
                  imageIndex: p.source,
                  crop: cropScaled(img, rect, p.size),
                  href,
                };
              }),
            )
          : [];
      const [most, least] = await Promise.all([tiles('most'), tiles('least')]);
      publish({ most, least, classIndex, label: record.label, errors: [], loading: false });
    } catch (e) {
      if (signal.aborted || isAbort(e)) return;
      publish({ most: [], least: [], errors: [elementError('image', e)], loading: false });
    }
  }

  // ---------------------------------------------------------------- interaction

  #setHover(tile: GalleryTile | null): void {
    const cell: CellRef | null = tile
      ? { row: tile.row, col: tile.col, ...(tile.imageIndex !== undefined && { imageIndex: tile.imageIndex }) }
      : null;
    const same =
      (cell === null && this.#hover === null) ||
      (cell !== null &&
        this.#hover !== null &&
        cell.row === this.#hover.row &&
        cell.col === this.#hover.col &&
        cell.imageIndex === this.#hover.imageIndex);
    if (same) return;
    this.#hover = cell;
    this.requestUpdate();
    dispatchBagNetEvent(this, 'bagnet-cell-hover', this.#cellEvidence(cell));
    dispatchValueEvent(this, 'input');
    if (this.linked && !this.#setMode) this.explanation!.actions.hoverCell(cell);
  }

  #select(tile: GalleryTile): void {
    const cell: CellRef = {
      row: tile.row,
      col: tile.col,
      ...(tile.imageIndex !== undefined && { imageIndex: tile.imageIndex }),
    };
    if (this.linked && !this.#setMode) this.explanation!.actions.selectCell(cell);
    else this.selectedCell = cell;
    this.requestUpdate();
    dispatchBagNetEvent(this, 'bagnet-cell-select', this.#cellEvidence(cell));
    dispatchValueEvent(this, 'change');
  }

  #onKeyDown(e: KeyboardEvent): void {
    // Arrow keys move within one list; Tab moves between the lists.
    const buttons = [...(e.currentTarget as HTMLElement).querySelectorAll<HTMLElement>('button, a')];
    const i = buttons.indexOf(e.target as HTMLElement);
    if (i < 0) return;
    const to =
      e.key === 'ArrowRight' || e.key === 'ArrowDown'
        ? i + 1
        : e.key === 'ArrowLeft' || e.key === 'ArrowUp'
          ? i - 1
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? buttons.length - 1
              : -1;
    if (to < 0 || to >= buttons.length) return;
    e.preventDefault();
    buttons[to]!.focus();
  }

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    const all = this.#allTiles();
    this.renderRoot.querySelectorAll<HTMLCanvasElement>('canvas[data-tile]').forEach((canvas) => {
      const tile = all[Number(canvas.dataset['tile'])];
      if (tile === undefined || this.#painted.get(canvas) === tile.crop) return;
      this.#painted.set(canvas, tile.crop);
      canvas.width = tile.crop.width;
      canvas.height = tile.crop.height;
      canvas.getContext('2d')?.putImageData(tile.crop, 0, 0);
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#minedLoad?.abort();
    this.#minedFile = undefined;
    this.#single = undefined;
    this.#hover = null;
  }

  // ---------------------------------------------------------------- render

  #label(classIndex: number | undefined): string {
    if (classIndex === undefined) return 'the class';
    if (this.#fileMode && this.#minedFile?.label !== undefined) return `“${this.#minedFile.label}”`;
    const labels = this.data.evidence?.labels ?? this.data.model?.labels;
    return `“${labels?.[classIndex] ?? `class ${classIndex}`}”`;
  }

  #renderTile(tile: GalleryTile, index: number, linkedHover: CellRef | null, selected: CellRef | null) {
    const is = (c: CellRef | null) =>
      c !== null && c.row === tile.row && c.col === tile.col && c.imageIndex === tile.imageIndex;
    const active = is(linkedHover);
    const pressed = is(selected);
    // For or against by the contribution, as core's split counts it; a mined file's tiles have no
    // contribution (the file holds no head bias), so their patch logit decides.
    const word = evidenceWord(Number.isFinite(tile.contribution) ? tile.contribution : tile.logit);
    const inner = html`<canvas part="crop" data-tile=${index} aria-hidden="true"></canvas>
      <span part="rank" class="rank">#${tile.rank}</span>
      <span part="value" class="value">${formatEvidence(tile.logit)}</span>
      ${
        Number.isFinite(tile.share)
          ? html`<span part="share" class="share">${formatShare(tile.share)} of evidence</span>`
          : nothing
      }
      <span class="visually-hidden"
        >, evidence ${word} ${this.#label(tile.classIndex)}, row ${tile.row + 1}, column ${tile.col + 1}</span
      >
      ${
        tile.href !== undefined
          ? html`<span part="source" class="source">${decodeURIComponent(tile.href.split('/').pop() ?? '')}</span>`
          : tile.imageIndex !== undefined
            ? html`<span part="source" class="source">image ${tile.imageIndex + 1}</span>`
            : nothing
      }`;
    const part = `tile${active ? ' tile-active' : ''}${pressed ? ' tile-selected' : ''}`;
    const cls = `${word === 'for' ? 'for' : word === 'against' ? 'against' : ''} ${active ? 'active' : ''}`;
    if (tile.href !== undefined) {
      // A mined file's tile links to its image (a link, not a button: nothing else to select).
      return html`<li>
        <a
          part=${part}
          class=${cls}
          href=${tile.href}
          @pointerenter=${() => this.#setHover(tile)}
          @pointerleave=${() => this.#setHover(null)}
          @focus=${() => this.#setHover(tile)}
          @blur=${() => this.#setHover(null)}
          >${inner}</a
        >
      </li>`;
    }
    return html`<li>
      <button
        part=${part}
        class=${cls}
        aria-pressed=${pressed ? 'true' : 'false'}
        @pointerenter=${() => this.#setHover(tile)}
        @pointerleave=${() => this.#setHover(null)}
        @focus=${() => this.#setHover(tile)}
        @blur=${() => this.#setHover(null)}
        @click=${() => this.#select(tile)}
      >
        ${inner}
      </button>
    </li>`;
  }

  #renderList(order: 'most' | 'least', tiles: readonly GalleryTile[], offset: number, classIndex?: number) {
    const title =
      order === 'most'
        ? `Most evidence for ${this.#label(classIndex)}`
        : `Least evidence for ${this.#label(classIndex)}`;
    const linkedHover = this.linked && !this.#setMode ? this.linkedHoveredCell : null;
    const selected = this.#shownSelection();
    return html`<section part="section ${order}" class="section" aria-label=${title}>
      <p part="heading" class="heading">${title}</p>
      ${
        tiles.length === 0
          ? html`<p class="status">No patches yet.</p>`
          : html`<ol part="list" @keydown=${this.#onKeyDown}>
              ${repeat(
                tiles,
                (t) => `${order}-${t.rank}`,
                (t, i) => this.#renderTile(t, offset + i, linkedHover, selected),
              )}
            </ol>`
      }
    </section>`;
  }

  #renderLinkedCell(): TemplateResult | typeof nothing {
    const cell = this.linked && !this.#setMode ? this.linkedHoveredCell : null;
    const { evidence, classIndex } = this.data;
    if (cell === null || cell.imageIndex !== undefined || evidence === undefined || classIndex === undefined) {
      return nothing;
    }
    const g = evidence.geometry;
    if (cell.row < 0 || cell.col < 0 || cell.row >= g.rows || cell.col >= g.cols) return nothing;
    const classEvidence = evidence.classEvidence(classIndex);
    const { logit, rank } = classEvidence.patch(cell.row, cell.col);
    return html`<p part="linked-cell" class="linked-cell">
      Hovered patch (row ${cell.row + 1}, column ${cell.col + 1}): ${formatEvidence(logit)}, rank ${rank} of
      ${classEvidence.cells} for ${this.#label(classIndex)}.
    </p>`;
  }

  #renderStatus(): TemplateResult | typeof nothing {
    if (this.#fileMode) {
      return this.#minedFile?.loading
        ? html`<div part="status" class="status" role="status">Loading the mined patches…</div>`
        : nothing;
    }
    if (!this.#setMode) return this.renderStatus('patches');
    const m = this.#mining.state;
    if (this.data.model === undefined && this.data.status !== 'error') {
      return html`<div part="status" class="status" role="status">
        ${this.data.status === 'loading' ? 'Loading the model…' : 'Waiting for a model (model-src or .model).'}
      </div>`;
    }
    if (!m?.running) return nothing;
    return html`<div part="status" class="status" role="status">
      <progress aria-label="Mining patches" max=${m.total} value=${m.done}></progress>
      Mining patches: ${m.done} of ${m.total} images
    </div>`;
  }

  protected override render(): TemplateResult {
    const { most, least } = this.tiles;
    const show = this.#show();
    const classIndex = this.#fileMode
      ? this.#minedFile?.classIndex
      : this.#setMode
        ? this.#mining.state?.classIndex
        : this.data.classIndex;
    return html`${this.renderErrors()}
      <div part="base">
        ${show !== 'least' ? this.#renderList('most', most, 0, classIndex) : nothing}
        ${show !== 'most' ? this.#renderList('least', least, most.length, classIndex) : nothing}
        ${this.#renderLinkedCell()} ${this.#renderStatus()}
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'patch-gallery': PatchGalleryElement;
  }
}
