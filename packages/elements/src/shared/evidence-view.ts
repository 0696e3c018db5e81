/**
 * EvidenceViewElement: what `<bagnet-heatmap>`, `<patch-gallery>` and `<evidence-bar>` share —
 * the inputs (`model-src`, `src`, `class-index` attributes; `.model`, `.image`, `.evidence`
 * properties), loading through the shared caches, picking up a surrounding `<bagnet-explainer>`'s
 * explanation through context, and the inline error state with its events.
 */
import { ContextConsumer } from '@lit/context';
import { html, LitElement, nothing } from 'lit';
import type { PropertyDeclarations, PropertyValues, TemplateResult } from 'lit';
import type { BagNet, BagNetImageInput, EvidenceMap } from '@bagnet-vis/core';

import { explanationContext } from './context.js';
import type { Explanation } from './context.js';
import { EvidenceLoader, hasInputs } from './evidence-loader.js';
import type { EvidenceInputs, LoadState, LoadStatus } from './evidence-loader.js';
import { classIndexError, dispatchBagNetEvent, dispatchElementError } from './events.js';
import type { CellRef, ElementErrorDetail } from './events.js';

/** What a view shows, from its own inputs or from the explainer around it. */
export interface ViewData {
  readonly status: LoadStatus;
  readonly model?: BagNet;
  readonly image?: BagNetImageInput;
  readonly evidence?: EvidenceMap;
  /** The class shown, when there is evidence and the class is valid. */
  readonly classIndex?: number;
  /** The input errors to show inline (loading, class index, element options). */
  readonly errors: readonly ElementErrorDetail[];
}

/**
 * Base class of the evidence views. Not registered as an element itself.
 */
export abstract class EvidenceViewElement extends LitElement {
  static override properties: PropertyDeclarations = {
    modelSrc: { type: String, attribute: 'model-src', reflect: true },
    src: { type: String, reflect: true },
    classIndex: { type: Number, attribute: 'class-index', reflect: true },
    model: { attribute: false },
    image: { attribute: false },
    evidence: { attribute: false },
  };

  /**
   * URL of a bagnet-vis `model.json`. Elements naming the same URL share one loaded model, released
   * when the last of them disconnects.
   */
  declare modelSrc: string | undefined;
  /** URL of the image to explain (loaded with CORS, so its pixels can be read). */
  declare src: string | undefined;
  /**
   * The class whose evidence is shown; unset: the selected class of a surrounding
   * `<bagnet-explainer>`, else the top-1 class.
   */
  declare classIndex: number | undefined;
  /** A loaded BagNet (the page keeps ownership; takes precedence over `model-src`). */
  declare model: BagNet | undefined;
  /** The image to explain: any input `BagNet.evidence` accepts (takes precedence over `src`). */
  declare image: BagNetImageInput | undefined;
  /**
   * A precomputed evidence map to show instead of running a model (the page keeps ownership);
   * `.image` or `src` then only provide the picture.
   */
  declare evidence: EvidenceMap | undefined;

  /** The explanation of a surrounding `<bagnet-explainer>`, if any. */
  protected explanation: Explanation | undefined;
  protected readonly loader: EvidenceLoader;
  #data: ViewData = { status: 'empty', errors: [] };
  #reported = new Set<string>();

  constructor() {
    super();
    this.loader = new EvidenceLoader(
      this,
      () => this.#ownInputs(),
      (state, previous) => this.#onLoadState(state, previous),
    );
    new ContextConsumer(this, {
      context: explanationContext,
      subscribe: true,
      callback: (value) => {
        this.explanation = value;
        this.requestUpdate();
      },
    });
  }

  #ownInputs(): EvidenceInputs {
    return { modelSrc: this.modelSrc, model: this.model, src: this.src, image: this.image, evidence: this.evidence };
  }

  /** Whether the view shows a surrounding explainer's data (it is in one and has no inputs of its own). */
  get linked(): boolean {
    return this.explanation !== undefined && !hasInputs(this.#ownInputs());
  }

  /** The data shown now (updated before every render). */
  protected get data(): ViewData {
    return this.#data;
  }

  /** Extra inline errors of a subclass (e.g. an unknown colormap), computed in `willUpdate`. */
  protected viewErrors(): ElementErrorDetail[] {
    return [];
  }

  /** The cell the explainer reports as hovered, when linked. */
  protected get linkedHoveredCell(): CellRef | null {
    return this.linked ? (this.explanation?.hoveredCell ?? null) : null;
  }

  /** The cell the explainer reports as selected, when linked. */
  protected get linkedSelectedCell(): CellRef | null {
    return this.linked ? (this.explanation?.selectedCell ?? null) : null;
  }

  /** Asks the explainer (when linked) or the view itself to show another class. */
  protected selectClass(classIndex: number): void {
    if (this.linked && this.classIndex === undefined) this.explanation!.actions.selectClass(classIndex);
    else this.classIndex = classIndex;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    super.willUpdate(changed);
    const own: LoadState = this.loader.state;
    const source = this.linked ? this.explanation! : own;
    const errors: ElementErrorDetail[] = [];
    if (!this.linked && own.error) errors.push(own.error);
    const evidence = source.evidence;
    let classIndex: number | undefined;
    if (evidence !== undefined) {
      const wanted = this.classIndex ?? (this.linked ? this.explanation!.classIndex : undefined);
      if (wanted === undefined || wanted === null) classIndex = evidence.topClasses(1)[0]?.index;
      else {
        const error = classIndexError(evidence, wanted, this.getAttribute('class-index'));
        if (error === undefined) classIndex = wanted;
        else errors.push(error);
      }
    }
    errors.push(...this.viewErrors());
    this.#data = {
      status: source.status,
      ...(source.model && { model: source.model }),
      ...(source.image && { image: source.image }),
      ...(evidence && { evidence }),
      ...(classIndex !== undefined && { classIndex }),
      errors,
    };
  }

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    // Report each distinct error once while it lasts (an `error` and a `bagnet-error` event).
    const current = new Set(this.#data.errors.map((e) => `${e.code}\u0000${e.message}`));
    this.#data.errors.forEach((e) => {
      const key = `${e.code}\u0000${e.message}`;
      if (!this.#reported.has(key)) dispatchElementError(this, e);
    });
    this.#reported = current;
  }

  #onLoadState(state: LoadState, previous: LoadState): void {
    if (state.status === 'ready' && state.evidence !== undefined && state.evidence !== previous.evidence) {
      const evidence = state.evidence;
      const wanted = this.classIndex;
      const classIndex = evidence.hasClass(wanted) ? wanted : (evidence.topClasses(1)[0]?.index ?? 0);
      dispatchBagNetEvent(this, 'bagnet-evidence', {
        evidence,
        classIndex,
        ...(state.image && { image: state.image }),
        ...(state.model && { model: state.model }),
      });
    }
  }

  /** The inline error block (role="alert"), or nothing. */
  protected renderErrors(): TemplateResult | typeof nothing {
    const { errors } = this.#data;
    if (errors.length === 0) return nothing;
    return html`<div part="error" class="error" role="alert">${errors.map((e) => html`<p>${e.message}</p>`)}</div>`;
  }

  /** A short status line while loading or running, or nothing. */
  protected renderStatus(what = 'evidence'): TemplateResult | typeof nothing {
    const { status } = this.#data;
    if (status !== 'loading' && status !== 'running') return nothing;
    return html`<div part="status" class="status" role="status">
      <progress aria-label=${status === 'loading' ? 'Loading' : `Computing ${what}`}></progress>
      ${status === 'loading' ? 'Loading…' : `Computing ${what}…`}
    </div>`;
  }
}
