import { ContextProvider } from '@lit/context';
import { html, LitElement, nothing } from 'lit';
import type { PropertyValues, TemplateResult } from 'lit';
import type { BagNet, BagNetImageInput, EvidenceMap } from '@bagnet-vis/core';

import { explanationContext } from '../shared/context.js';
import type { Explanation, ExplanationActions } from '../shared/context.js';
import { EvidenceLoader } from '../shared/evidence-loader.js';
import type { LoadState } from '../shared/evidence-loader.js';
import { classIndexError, dispatchBagNetEvent, dispatchElementError } from '../shared/events.js';
import type { CellRef, ElementErrorDetail } from '../shared/events.js';
import type { PatchWindowMark } from '../shared/patch-window.js';
import { themeStyles } from '../shared/theme.styles.js';
import { VERSION } from '../version.js';
import { explainerStyles } from './explainer.styles.js';

const SNAPSHOT_KEYS = [
  'status',
  'model',
  'image',
  'evidence',
  'error',
  'classIndex',
  'hoveredCell',
  'selectedCell',
  'patchWindow',
] as const satisfies readonly (keyof Explanation)[];

/**
 * Runs a BagNet once per image and shares the result with the views inside it through lit context:
 * `<bagnet-heatmap>`, `<patch-gallery>` and `<evidence-bar>` children without inputs of their own
 * show its model, image and evidence, and their interactions are linked — hover a cell and the
 * gallery and bars follow, pick a class in the bars and the heatmap and gallery follow; a
 * `<patch-certificate>` inside has its worst-case window drawn on the heatmap. A newer
 * image cancels the run of an older one (the latest wins). Without children it shows all three.
 *
 * @tagname bagnet-explainer
 * @summary Links a heatmap, patch gallery and evidence bars over one shared model run.
 *
 * @slot - The linked views (any layout). Default: a heatmap, evidence bars and a patch gallery.
 *
 * @fires {CustomEvent<EvidenceDetail>} bagnet-evidence - A model run finished (or `.evidence` was set).
 * @fires {CustomEvent<ElementErrorDetail>} bagnet-error - An input could not be used (also shown inline).
 * @fires {ErrorEvent} error - The same error as a standard `error` event (does not bubble).
 *
 * @csspart base - Everything but the error block.
 * @csspart views - The default views (only without children).
 * @csspart status - Loading / computing indicator.
 * @csspart error - The inline error message.
 *
 * @cssproperty --bagnet-explainer-column - Minimum column width of the default layout. Default `18rem`.
 * @cssproperty --bagnet-explainer-gap - Gap of the default layout. Default `1rem`.
 * @cssproperty --bagnet-error-color - Error accent. Default `#cf222e`.
 */
export class BagNetExplainerElement extends LitElement {
  /** The package version (its package.json's), checked by the guarded `define`. */
  static readonly version: string = VERSION;

  static override styles = [themeStyles, explainerStyles];

  static override properties = {
    modelSrc: { type: String, attribute: 'model-src', reflect: true },
    src: { type: String, reflect: true },
    classIndex: { type: Number, attribute: 'class-index', reflect: true },
    model: { attribute: false },
    image: { attribute: false },
    evidence: { attribute: false },
    hoveredCell: { attribute: false },
    selectedCell: { attribute: false },
    patchWindow: { attribute: false },
  };

  /** URL of a bagnet-vis `model.json` (shared with other elements naming the same URL). */
  declare modelSrc: string | undefined;
  /** URL of the image to explain. */
  declare src: string | undefined;
  /** The class the views show; unset: the top-1 class. Updated when a view picks a class. */
  declare classIndex: number | undefined;
  /** A loaded BagNet (the page keeps ownership; takes precedence over `model-src`). */
  declare model: BagNet | undefined;
  /** The image to explain (takes precedence over `src`). */
  declare image: BagNetImageInput | undefined;
  /** A precomputed evidence map to share instead of running a model (the page keeps ownership). */
  declare evidence: EvidenceMap | undefined;
  /** The cell hovered in any view, or `null`. */
  declare hoveredCell: CellRef | null;
  /** The cell selected in any view, or `null`. */
  declare selectedCell: CellRef | null;
  /** The worst-case patch window a `<patch-certificate>` reported (drawn on the heatmap), or `null`. */
  declare patchWindow: PatchWindowMark | null;

  readonly #loader: EvidenceLoader;
  readonly #provider: ContextProvider<typeof explanationContext, this>;
  readonly #actions: ExplanationActions = {
    selectClass: (classIndex) => {
      this.classIndex = classIndex;
    },
    hoverCell: (cell) => {
      this.hoveredCell = cell;
    },
    selectCell: (cell) => {
      this.selectedCell = cell;
    },
    showPatchWindow: (mark) => {
      this.patchWindow = mark;
    },
  };
  #explanation: Explanation;
  #errors: ElementErrorDetail[] = [];
  #reported = new Set<string>();
  #hasChildren = false;

  constructor() {
    super();
    this.hoveredCell = null;
    this.selectedCell = null;
    this.patchWindow = null;
    this.#explanation = {
      status: 'empty',
      hoveredCell: null,
      selectedCell: null,
      patchWindow: null,
      actions: this.#actions,
    };
    this.#loader = new EvidenceLoader(
      this,
      () => ({ modelSrc: this.modelSrc, model: this.model, src: this.src, image: this.image, evidence: this.evidence }),
      (state, previous) => this.#onState(state, previous),
    );
    this.#provider = new ContextProvider(this, { context: explanationContext, initialValue: this.#explanation });
  }

  /** What the views are given now. */
  get explanation(): Explanation {
    return this.#explanation;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#hasChildren = this.children.length > 0;
  }

  #onState(state: LoadState, previous: LoadState): void {
    if (state.evidence !== previous.evidence) {
      this.hoveredCell = null;
      this.selectedCell = null;
    }
    if (state.status === 'ready' && state.evidence !== undefined && state.evidence !== previous.evidence) {
      const evidence = state.evidence;
      const c = this.classIndex;
      const classIndex = evidence.hasClass(c) ? c : (evidence.topClasses(1)[0]?.index ?? 0);
      dispatchBagNetEvent(this, 'bagnet-evidence', {
        evidence,
        classIndex,
        ...(state.image && { image: state.image }),
        ...(state.model && { model: state.model }),
      });
    }
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    super.willUpdate(changed);
    const state = this.#loader.state;
    const errors: ElementErrorDetail[] = state.error ? [state.error] : [];
    let classIndex: number | undefined;
    if (state.evidence !== undefined) {
      const wanted = this.classIndex;
      classIndex = state.evidence.topClasses(1)[0]?.index;
      if (wanted !== undefined && wanted !== null) {
        const error = classIndexError(state.evidence, wanted, this.getAttribute('class-index'));
        if (error === undefined) classIndex = wanted;
        else errors.push(error);
      }
    }
    this.#errors = errors;
    const next: Explanation = {
      status: state.status,
      ...(state.model && { model: state.model }),
      ...(state.image && { image: state.image }),
      ...(state.evidence && { evidence: state.evidence }),
      ...(state.error && { error: state.error }),
      ...(classIndex !== undefined && { classIndex }),
      hoveredCell: this.hoveredCell ?? null,
      selectedCell: this.selectedCell ?? null,
      patchWindow: this.patchWindow ?? null,
      actions: this.#actions,
    };
    if (SNAPSHOT_KEYS.some((k) => next[k] !== this.#explanation[k])) {
      this.#explanation = next;
      this.#provider.setValue(next);
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    const current = new Set(this.#errors.map((e) => `${e.code}\u0000${e.message}`));
    for (const e of this.#errors) if (!this.#reported.has(`${e.code}\u0000${e.message}`)) dispatchElementError(this, e);
    this.#reported = current;
  }

  #onSlotChange(e: Event): void {
    const has = (e.target as HTMLSlotElement).assignedElements().length > 0;
    if (has !== this.#hasChildren) {
      this.#hasChildren = has;
      this.requestUpdate();
    }
  }

  protected override render(): TemplateResult {
    const { status } = this.#explanation;
    return html`${
        this.#errors.length > 0
          ? html`<div part="error" class="error" role="alert">
              ${this.#errors.map((e) => html`<p>${e.message}</p>`)}
            </div>`
          : nothing
      }
      <div part="base">
        ${
          status === 'loading' || status === 'running'
            ? html`<div part="status" class="status" role="status">
                <progress aria-label=${status === 'loading' ? 'Loading' : 'Computing evidence'}></progress>
                ${status === 'loading' ? 'Loading…' : 'Computing evidence…'}
              </div>`
            : nothing
        }
        <slot @slotchange=${this.#onSlotChange}></slot>
        ${
          this.#hasChildren
            ? nothing
            : html`<div part="views" class="views">
                <bagnet-heatmap></bagnet-heatmap>
                <div>
                  <evidence-bar></evidence-bar>
                  <patch-gallery></patch-gallery>
                </div>
              </div>`
        }
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'bagnet-explainer': BagNetExplainerElement;
  }
}
