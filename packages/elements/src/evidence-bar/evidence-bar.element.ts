import { html, nothing, svg } from 'lit';
import type { PropertyValues, TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { ticks as niceTicks } from 'd3-array';
import type { EvidenceDistribution, EvidenceMap, EvidenceSplit } from '@bagnet-vis/core';

import { EvidenceViewElement } from '../shared/evidence-view.js';
import { dispatchBagNetEvent, dispatchValueEvent } from '../shared/events.js';
import type { CellRef } from '../shared/events.js';
import { formatEvidence, formatNumber, formatShare } from '../shared/format.js';
import { styleProps } from '../shared/style-props.js';
import { themeStyles } from '../shared/theme.styles.js';
import { VERSION } from '../version.js';
import { evidenceBarStyles } from './evidence-bar.styles.js';

/** Which parts an `<evidence-bar>` shows. */
export type EvidenceBarView = 'both' | 'classes' | 'distribution';

/** One class row: its logit split into bias, positive and negative patch evidence. */
export interface ClassEvidenceRow extends EvidenceSplit {
  readonly label: string;
  readonly probability: number;
}

/**
 * Each of the top-k classes' logits decomposed into what the patches contribute: the sum of the
 * positive patch evidence, the sum of the negative patch evidence and the head bias, drawn as
 * stacked bars (positive to the right of zero, negative to the left) with the net logit marked.
 * Below, for the selected class, how its evidence is spread over the patches (sorted
 * contributions, and the share held by the top 10 %). Pick a class (click, arrow keys) to show
 * it in linked views. Data-only updates reuse the DOM.
 *
 * @tagname evidence-bar
 * @summary Per-class logit decomposition into patch evidence for / against, and its distribution.
 *
 * @fires {Event} input - The selected class (`.value`) changed: picked by the user, or a new evidence map
 *   arrived with another selected (top-1) class — so `Generators.input` in Observable follows it.
 * @fires {Event} change - A class was picked (click, Enter, arrow keys); `.value` is its index.
 * @fires {CustomEvent<ClassSelectDetail>} bagnet-class-select - The picked class.
 * @fires {CustomEvent<EvidenceDetail>} bagnet-evidence - The element computed or was given a new evidence map.
 * @fires {CustomEvent<ElementErrorDetail>} bagnet-error - An input could not be used (also shown inline).
 * @fires {ErrorEvent} error - The same error as a standard `error` event (does not bubble).
 *
 * @csspart base - Everything but the error block.
 * @csspart classes - The radio group of class rows.
 * @csspart row - One class (`row-selected` when selected).
 * @csspart label - Class name.
 * @csspart track - The bar area of a row.
 * @csspart bar-positive - Sum of the positive patch evidence.
 * @csspart bar-negative - Sum of the negative patch evidence.
 * @csspart bar-bias - The head bias.
 * @csspart net - Marker of the net logit.
 * @csspart value - The logit as text.
 * @csspart probability - The softmax probability (`show-probabilities`).
 * @csspart axis - Numeric ticks under the bars.
 * @csspart key - Explanation of the colours.
 * @csspart distribution - The distribution view of the selected class.
 * @csspart status - Loading / computing indicator.
 * @csspart error - The inline error message.
 *
 * @cssproperty --bagnet-positive-color - Evidence for. Default `#b2182b`.
 * @cssproperty --bagnet-negative-color - Evidence against. Default `#2166ac`.
 * @cssproperty --bagnet-bias-color - Head bias hatching. Default `#8c959f`.
 * @cssproperty --bagnet-net-color - Net logit marker. Default `#1f2328`.
 * @cssproperty --bagnet-axis-color - Zero line. Default `#59636e`.
 * @cssproperty --bagnet-bar-height - Height of one row. Default `1.25rem`.
 * @cssproperty --bagnet-bar-label-width - Width of the class names. Default `7rem`.
 * @cssproperty --bagnet-bar-selected-background - Behind the selected row: a neutral grey, so it never reads as evidence. Default `#eaeef2`.
 * @cssproperty --bagnet-bar-selected-color - The selected row's edge mark. Default `#57606a`.
 * @cssproperty --bagnet-distribution-height - Height of the distribution chart. Default `4rem`.
 * @cssproperty --bagnet-focus-color - Focus ring. Default `#0969da`.
 */
export class EvidenceBarElement extends EvidenceViewElement {
  /** The package version (its package.json's), checked by the guarded `define`. */
  static readonly version: string = VERSION;

  static override styles = [themeStyles, evidenceBarStyles];

  static override properties = {
    k: { type: Number, reflect: true },
    showProbabilities: { type: Boolean, attribute: 'show-probabilities', reflect: true },
    view: { type: String, reflect: true },
    highlight: { attribute: false },
  };

  /** Number of classes shown (the top k by logit, plus the selected class if it is not among them). */
  declare k: number;
  /** Shows each class's softmax probability. */
  declare showProbabilities: boolean;
  /** `both`, `classes` (the bars only) or `distribution` (the selected class's distribution only). */
  declare view: EvidenceBarView;
  /** A cell to mark in the distribution, e.g. the one hovered in a separate heatmap. */
  declare highlight: CellRef | null;

  /** A class picked but not shown yet (linked views update a task later): `.value` reports it at once. */
  #picked?: number;
  /** The value and evidence map last announced by an `input` event. */
  #announced: { value: number | null; evidence: EvidenceMap | undefined } = { value: null, evidence: undefined };

  constructor() {
    super();
    this.k = 5;
    this.showProbabilities = false;
    this.view = 'both';
    this.highlight = null;
  }

  /** The selected class index (`class-index`, the explainer's, else the top-1 class), or null. */
  get value(): number | null {
    return this.#picked ?? this.data.classIndex ?? null;
  }

  /** The rows shown now. */
  get rows(): ClassEvidenceRow[] {
    const { evidence, classIndex } = this.data;
    if (evidence === undefined) return [];
    const k = Math.floor(Number(this.k));
    const top = evidence.topClasses(Number.isFinite(k) && k > 0 ? k : 5);
    if (classIndex !== undefined && !top.some((c) => c.index === classIndex)) {
      top.push({
        index: classIndex,
        label: evidence.labels[classIndex]!,
        logit: evidence.logits[classIndex]!,
        probability: evidence.probabilities[classIndex]!,
      });
    }
    return top.map((c) => ({ ...evidence.evidenceSplit(c.index), label: c.label, probability: c.probability }));
  }

  /** The distribution of the selected class's evidence (core's), or undefined. */
  get distribution(): EvidenceDistribution | undefined {
    const { evidence, classIndex } = this.data;
    return evidence === undefined || classIndex === undefined
      ? undefined
      : evidence.classEvidence(classIndex).distribution;
  }

  #pick(classIndex: number, focus = false): void {
    const { evidence } = this.data;
    if (evidence === undefined) return;
    const changed = classIndex !== this.value;
    this.#picked = classIndex;
    this.selectClass(classIndex);
    if (focus) {
      void this.updateComplete.then(() =>
        this.renderRoot.querySelector<HTMLElement>(`[data-class="${classIndex}"]`)?.focus(),
      );
    }
    dispatchBagNetEvent(this, 'bagnet-class-select', { classIndex, label: evidence.labels[classIndex]! });
    if (changed) dispatchValueEvent(this, 'input');
    this.#announced = { value: classIndex, evidence };
    dispatchValueEvent(this, 'change');
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const evidence = this.data.evidence;
    super.willUpdate(changed);
    if (this.data.classIndex === this.#picked || this.data.evidence !== evidence) this.#picked = undefined;
  }

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    // A new evidence map that changes `.value` (e.g. null → the top-1 class once the first image
    // is scored) is announced like a pick; a page setting `class-index` itself is not.
    const { evidence } = this.data;
    const value = this.value;
    if (evidence !== this.#announced.evidence) {
      const announce = value !== this.#announced.value;
      this.#announced = { value, evidence };
      if (announce) dispatchValueEvent(this, 'input');
    }
  }

  #onKeyDown(e: KeyboardEvent, rows: readonly ClassEvidenceRow[]): void {
    const i = rows.findIndex((r) => r.classIndex === this.value);
    let to: number;
    switch (e.key) {
      case 'ArrowDown':
      case 'ArrowRight':
        to = Math.min(rows.length - 1, i + 1);
        break;
      case 'ArrowUp':
      case 'ArrowLeft':
        to = Math.max(0, i - 1);
        break;
      case 'Home':
        to = 0;
        break;
      case 'End':
        to = rows.length - 1;
        break;
      case 'Enter':
      case ' ': {
        e.preventDefault();
        const index = Number((e.target as HTMLElement).dataset['class']);
        if (Number.isInteger(index)) this.#pick(index);
        return;
      }
      default:
        return;
    }
    e.preventDefault();
    const row = rows[to];
    if (row !== undefined && to !== i) this.#pick(row.classIndex, true);
  }

  // ---------------------------------------------------------------- render

  #renderClasses(rows: readonly ClassEvidenceRow[]): TemplateResult {
    // One x scale for every row: negative stacks to the left of zero, positive to the right.
    let low = 0;
    let high = 0;
    for (const r of rows) {
      low = Math.min(low, r.negative + Math.min(r.bias, 0), r.logit);
      high = Math.max(high, r.positive + Math.max(r.bias, 0), r.logit);
    }
    const span = high - low || 1;
    const x = (v: number) => (100 * (v - low)) / span;
    const seg = (from: number, to: number) => ({
      left: `${x(Math.min(from, to))}%`,
      width: `${(100 * Math.abs(to - from)) / span}%`,
    });
    const selected = this.data.classIndex;
    // Round values evenly spaced inside the axis (d3's nice ticks), so labels never collide.
    const ticks = niceTicks(low, high, 4);
    return html`<div
        part="classes"
        class="classes ${this.showProbabilities ? 'with-probabilities' : ''}"
        role="radiogroup"
        aria-label="Class logits split into patch evidence for and against"
      >
        ${repeat(
          rows,
          (r) => r.classIndex,
          (r) => {
            const isSelected = r.classIndex === selected;
            return html`<div
              part="row${isSelected ? ' row-selected' : ''}"
              class="row"
              role="radio"
              aria-checked=${isSelected ? 'true' : 'false'}
              tabindex=${isSelected ? '0' : '-1'}
              data-class=${r.classIndex}
              @click=${() => this.#pick(r.classIndex)}
              @keydown=${(e: KeyboardEvent) => this.#onKeyDown(e, rows)}
            >
              <span part="label" class="label" title=${r.label}>${r.label}</span>
              <span part="track" class="track" aria-hidden="true">
                <span part="bar-negative" class="seg negative" style=${styleProps(seg(r.negative, 0))}></span>
                <span
                  part="bar-bias"
                  class="seg bias"
                  style=${styleProps(r.bias >= 0 ? seg(r.positive, r.positive + r.bias) : seg(r.negative + r.bias, r.negative))}
                ></span>
                <span part="bar-positive" class="seg positive" style=${styleProps(seg(0, r.positive))}></span>
                <span class="zero" style=${styleProps({ left: `${x(0)}%` })}></span>
                <span part="net" class="net" style=${styleProps({ left: `${x(r.logit)}%` })}></span>
              </span>
              <span part="value" class="value">${formatEvidence(r.logit)}</span>
              ${
                this.showProbabilities
                  ? html`<span part="probability" class="probability">${formatShare(r.probability)}</span>`
                  : nothing
              }
              <span class="visually-hidden"
                >: logit ${formatEvidence(r.logit)} = patch evidence for ${formatEvidence(r.positive)}, against
                ${formatEvidence(r.negative)}, bias
                ${formatEvidence(r.bias)}${
                  this.showProbabilities ? `, probability ${formatShare(r.probability)}` : ''
                }</span
              >
            </div>`;
          },
        )}
      </div>
      <div class="axis-row ${this.showProbabilities ? 'with-probabilities' : ''}" aria-hidden="true">
        <div part="axis" class="axis">
          ${ticks.map((v) => html`<span style=${styleProps({ left: `${x(v)}%` })}>${formatNumber(v)}</span>`)}
        </div>
      </div>
      <div part="key" class="key" aria-hidden="true">
        <span><span class="swatch seg positive"></span>for</span>
        <span><span class="swatch seg negative"></span>against</span>
        <span><span class="swatch seg bias"></span>bias</span>
        <span>▼ net logit</span>
      </div>`;
  }

  #hoveredCell(): CellRef | null {
    const linked = this.linkedHoveredCell;
    return this.highlight ?? (linked?.imageIndex === undefined ? linked : null);
  }

  #renderDistribution(): TemplateResult | typeof nothing {
    const { evidence, classIndex } = this.data;
    const d = this.distribution;
    if (evidence === undefined || classIndex === undefined || d === undefined) return nothing;
    const n = d.sorted.length;
    let scale = 0;
    for (const c of d.sorted) scale = Math.max(scale, Math.abs(c));
    scale ||= 1;
    const y = (c: number) => 50 - (48 * c) / scale;
    const firstNegative = d.sorted.findIndex((c) => c < 0);
    const split = firstNegative < 0 ? n : firstNegative;
    // A step outline, at most ~512 steps (larger maps are sampled; the values are sorted).
    const step = Math.max(1, Math.ceil(n / 512));
    const area = (from: number, to: number) => {
      if (to <= from) return '';
      let path = `M${from},50`;
      for (let i = from; i < to; i += step) {
        const v = y(d.sorted[i]!).toFixed(2);
        path += `L${i},${v}L${Math.min(to, i + step)},${v}`;
      }
      return `${path}L${to},50Z`;
    };
    const label = evidence.labels[classIndex] ?? `class ${classIndex}`;
    const classEvidence = evidence.classEvidence(classIndex);
    const split2 = classEvidence.split;
    const hovered = this.#hoveredCell();
    const g = evidence.geometry;
    const marker =
      hovered !== null && hovered.row >= 0 && hovered.col >= 0 && hovered.row < g.rows && hovered.col < g.cols
        ? classEvidence.patch(hovered.row, hovered.col)
        : undefined;
    const text =
      `The top 10 % of patches (${d.topCount} of ${n}) hold ${formatShare(d.topShare)} of the evidence for “${label}”; ` +
      `${split2.positiveCount} patches speak for it, ${split2.negativeCount} against.`;
    return html`<div part="distribution" class="distribution">
      <svg
        viewBox="0 0 ${n} 100"
        preserveAspectRatio="none"
        role="img"
        aria-label=${`Patch contributions to “${label}”, sorted. ${text}`}
      >
        ${svg`<path class="area-positive" d=${area(0, split)}></path>
        <path class="area-negative" d=${area(split, n)}></path>
        <line class="decile" x1=${d.topCount} x2=${d.topCount} y1="0" y2="100" vector-effect="non-scaling-stroke"></line>
        ${
          marker
            ? svg`<line class="marker" x1=${marker.rank - 0.5} x2=${marker.rank - 0.5} y1="0" y2="100" vector-effect="non-scaling-stroke"></line>`
            : nothing
        }`}
      </svg>
      <p>${text}</p>
      ${
        marker
          ? html`<p>
              Hovered patch (row ${marker.row + 1}, column ${marker.col + 1}): contribution
              ${formatEvidence(marker.contribution)}, rank ${marker.rank} of ${n}.
            </p>`
          : nothing
      }
    </div>`;
  }

  protected override render(): TemplateResult {
    const rows = this.rows;
    const view = this.view === 'classes' || this.view === 'distribution' ? this.view : 'both';
    return html`${this.renderErrors()}
      <div part="base">
        ${rows.length > 0 && view !== 'distribution' ? this.#renderClasses(rows) : nothing}
        ${view !== 'classes' ? this.#renderDistribution() : nothing}
        ${
          rows.length === 0 && this.data.status !== 'loading' && this.data.status !== 'running'
            ? html`<p class="status">No evidence yet.</p>`
            : nothing
        }
        ${this.renderStatus()}
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'evidence-bar': EvidenceBarElement;
  }
}
