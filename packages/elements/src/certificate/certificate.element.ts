import { html, nothing } from 'lit';
import type { PropertyValues, TemplateResult } from 'lit';
import { BagNetInputError, patchRobustness, ROBUSTNESS_METHODS } from '@bagnet-vis/core';
import type { EvidenceMap, PatchRobustness, RobustnessMethod } from '@bagnet-vis/core';

import { EvidenceViewElement } from '../shared/evidence-view.js';
import { dispatchBagNetEvent, dispatchValueEvent, elementError, isAbort } from '../shared/events.js';
import type { ElementErrorDetail } from '../shared/events.js';
import { formatEvidence } from '../shared/format.js';
import type { PatchWindowMark } from '../shared/patch-window.js';
import { themeStyles } from '../shared/theme.styles.js';
import { VERSION } from '../version.js';
import { certificateStyles } from './certificate.styles.js';

const METHOD_NAMES: Record<RobustnessMethod, string> = {
  mask: 'Robust masking (PatchGuard)',
  clip: 'Clipping (Clipped BagNet)',
};

/** What a certificate was computed for; a new one replaces an older one still running. */
interface CertificateKey {
  readonly evidence: EvidenceMap;
  readonly patchPx: number;
  readonly method: RobustnessMethod;
  readonly threshold: number;
}

const sameKey = (a: CertificateKey | undefined, b: CertificateKey | undefined) =>
  a !== undefined &&
  b !== undefined &&
  a.evidence === b.evidence &&
  a.patchPx === b.patchPx &&
  a.method === b.method &&
  a.threshold === b.threshold;

/**
 * Whether a BagNet's prediction is certified against an adversarial patch: a patch of p × p
 * pixels changes only the cells whose receptive field it touches, a window of the evidence map,
 * so core's `patchRobustness` bounds what any such patch, anywhere, can do under robust masking
 * (PatchGuard) or clipping (Clipped BagNet), against every other class. A slider sets the patch
 * size; the verdict, the worst-case window and the defended evidence of the top classes are shown
 * in words. Inside `<bagnet-explainer>` the worst-case window is drawn on the linked heatmap.
 *
 * @tagname patch-certificate
 * @summary Certified patch robustness of the prediction, with a patch-size control.
 *
 * @fires {Event} input - A new certificate is shown (`.value`): the patch size, defence or evidence changed.
 * @fires {Event} change - The user committed a new patch size or defence and its certificate is shown.
 * @fires {CustomEvent<PatchRobustness>} bagnet-certificate - The certificate now shown (core's result).
 * @fires {CustomEvent<EvidenceDetail>} bagnet-evidence - The element computed or was given a new evidence map.
 * @fires {CustomEvent<ElementErrorDetail>} bagnet-error - An input could not be used (also shown inline).
 * @fires {ErrorEvent} error - The same error as a standard `error` event (does not bubble).
 *
 * @csspart base - Everything but the error block.
 * @csspart controls - The patch-size slider and the defence picker.
 * @csspart patch-size - The patch-size slider (`<input type="range">`).
 * @csspart method - The defence picker (`<select>`).
 * @csspart verdict - Certified or not, in words.
 * @csspart explanation - The sentence saying what the verdict means and where the worst window is.
 * @csspart classes - Table of the top classes' clipped and defended evidence.
 * @csspart status - Loading / computing indicator.
 * @csspart error - The inline error message.
 *
 * @cssproperty --bagnet-certified-color - Verdict text when certified. Default `#1a7f37`.
 * @cssproperty --bagnet-vulnerable-color - Verdict text when not certified. Default `#cf222e`.
 * @cssproperty --bagnet-certificate-slider-width - Width of the patch-size slider. Default `10rem`.
 * @cssproperty --bagnet-focus-color - Focus ring. Default `#0969da`.
 */
export class PatchCertificateElement extends EvidenceViewElement {
  /** The package version (its package.json's), checked by the guarded `define`. */
  static readonly version: string = VERSION;

  static override styles = [themeStyles, certificateStyles];

  static override properties = {
    patchPx: { type: Number, attribute: 'patch-px', reflect: true },
    method: { type: String, reflect: true },
    threshold: { type: Number, reflect: true },
    k: { type: Number, reflect: true },
  };

  /** Side of the square adversarial patch in image pixels (a whole number ≥ 1). */
  declare patchPx: number;
  /** The defence: `mask` (PatchGuard robust masking) or `clip` (Clipped BagNet). */
  declare method: RobustnessMethod;
  /** Robust masking's detection threshold T in [0, 1). */
  declare threshold: number;
  /** Number of classes in the table (the top k by clipped evidence). */
  declare k: number;

  #result?: { key: CertificateKey; certificate: PatchRobustness };
  #running?: CertificateKey;
  #failure?: { key: CertificateKey; error: ElementErrorDetail };
  #commitPending = false;
  #announcedMark?: PatchWindowMark | null;

  constructor() {
    super();
    this.patchPx = 32;
    this.method = 'mask';
    this.threshold = 0;
    this.k = 5;
  }

  /** The certificate shown now (core's `patchRobustness` result), or null. */
  get value(): PatchRobustness | null {
    const key = this.#key();
    return key !== undefined && sameKey(this.#result?.key, key) ? this.#result!.certificate : null;
  }

  /** The worst-case window of the certificate shown, as a heatmap draws it, or null. */
  get patchWindow(): PatchWindowMark | null {
    const c = this.value;
    if (c === null) return null;
    const w = c.worstWindow;
    return {
      row: w.row,
      col: w.col,
      rows: w.rows,
      cols: w.cols,
      rect: w.rect,
      patchPx: c.patchPx,
      certified: c.certified,
    };
  }

  #optionError(): ElementErrorDetail | undefined {
    const p = this.patchPx;
    if (!Number.isInteger(p) || p < 1) {
      return elementError(
        'robustness',
        new BagNetInputError(`patch-px ${String(p).slice(0, 40)} is not a whole number of pixels ≥ 1.`),
      );
    }
    if (!ROBUSTNESS_METHODS.includes(this.method)) {
      return elementError(
        'robustness',
        new BagNetInputError(
          `method ${JSON.stringify(String(this.method)).slice(0, 40)} is not a defence: use mask (robust masking) or clip (Clipped BagNet).`,
        ),
      );
    }
    const t = this.threshold;
    if (this.method === 'mask' && !(t >= 0 && t < 1)) {
      return elementError('robustness', new BagNetInputError(`threshold ${String(t)} must be in [0, 1).`));
    }
    return undefined;
  }

  #key(): CertificateKey | undefined {
    const evidence = this.data.evidence;
    if (evidence === undefined || this.#optionError() !== undefined) return undefined;
    return {
      evidence,
      patchPx: this.patchPx,
      method: this.method,
      threshold: this.method === 'mask' ? this.threshold : 0,
    };
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // A removed attribute reads as null: back to the defaults.
    this.patchPx ??= 32;
    this.method ??= 'mask';
    this.threshold ??= 0;
    super.willUpdate(changed);
  }

  protected override viewErrors(): ElementErrorDetail[] {
    const errors: ElementErrorDetail[] = [];
    const option = this.#optionError();
    if (option) errors.push(option);
    const failure = this.#failure;
    if (failure && sameKey(failure.key, this.#key())) errors.push(failure.error);
    return errors;
  }

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    const key = this.#key();
    if (
      key !== undefined &&
      !sameKey(this.#result?.key, key) &&
      !sameKey(this.#running, key) &&
      !sameKey(this.#failure?.key, key)
    ) {
      void this.#compute(key);
    }
    this.#announceWindow();
  }

  override disconnectedCallback(): void {
    // Take the window off the explainer's heatmap (before the context goes with the disconnect).
    if (this.#announcedMark && this.linked) this.explanation!.actions.showPatchWindow(null);
    this.#announcedMark = undefined;
    super.disconnectedCallback();
  }

  async #compute(key: CertificateKey): Promise<void> {
    this.#running = key;
    try {
      const certificate = await patchRobustness(key.evidence, {
        patchPx: key.patchPx,
        method: key.method,
        ...(key.method === 'mask' && { threshold: key.threshold }),
      });
      if (!sameKey(this.#running, key)) return; // a newer request replaced this one
      this.#result = { key, certificate };
      this.#failure = undefined;
      this.requestUpdate();
      await this.updateComplete;
      dispatchBagNetEvent(this, 'bagnet-certificate', certificate);
      dispatchValueEvent(this, 'input');
      if (this.#commitPending) {
        this.#commitPending = false;
        dispatchValueEvent(this, 'change');
      }
    } catch (e) {
      if (!sameKey(this.#running, key) || isAbort(e)) return;
      this.#failure = { key, error: elementError('robustness', e) };
      this.requestUpdate();
    } finally {
      if (sameKey(this.#running, key)) this.#running = undefined;
    }
  }

  /** Hands the worst window to a surrounding explainer (its heatmap draws it). */
  #announceWindow(): void {
    if (!this.linked || !this.isConnected) return;
    const mark = this.patchWindow;
    const before = this.#announcedMark;
    const same =
      before !== undefined &&
      (before === mark ||
        (before !== null &&
          mark !== null &&
          before.row === mark.row &&
          before.col === mark.col &&
          before.rows === mark.rows &&
          before.cols === mark.cols &&
          before.patchPx === mark.patchPx &&
          before.certified === mark.certified));
    if (same) return;
    this.#announcedMark = mark;
    this.explanation!.actions.showPatchWindow(mark);
  }

  #onSlider(e: Event, commit: boolean): void {
    e.stopPropagation();
    const value = Number((e.target as HTMLInputElement).value);
    if (commit) this.#commitPending = true;
    if (value !== this.patchPx) this.patchPx = value;
    else if (commit && this.value !== null) {
      this.#commitPending = false;
      dispatchValueEvent(this, 'change');
    }
  }

  #onMethod(e: Event): void {
    e.stopPropagation();
    const method = (e.target as HTMLSelectElement).value as RobustnessMethod;
    if (method === this.method) return;
    this.#commitPending = true;
    this.method = method;
  }

  #renderControls(maxPx: number): TemplateResult {
    const p = Number.isInteger(this.patchPx) && this.patchPx >= 1 ? this.patchPx : 1;
    return html`<div part="controls" class="controls">
      <label
        >Patch size
        <input
          part="patch-size"
          type="range"
          min="1"
          max=${Math.max(maxPx, p)}
          step="1"
          .value=${String(p)}
          aria-valuetext=${`${p} by ${p} pixels`}
          @input=${(e: Event) => this.#onSlider(e, false)}
          @change=${(e: Event) => this.#onSlider(e, true)}
        />
      </label>
      <output aria-hidden="true">${p}×${p} px</output>
      <label
        >Defence
        <select
          part="method"
          .value=${this.method}
          @input=${(e: Event) => e.stopPropagation()}
          @change=${(e: Event) => this.#onMethod(e)}
        >
          ${ROBUSTNESS_METHODS.map((m) => html`<option value=${m} ?selected=${m === this.method}>${METHOD_NAMES[m]}</option>`)}
        </select>
      </label>
    </div>`;
  }

  #renderCertificate(c: PatchRobustness, evidence: EvidenceMap): TemplateResult {
    const label = (k: number) => evidence.labels[k] ?? `class ${k}`;
    const w = c.worstWindow;
    const defence = c.method === 'mask' ? 'robust masking' : 'clipping';
    const where =
      `cells rows ${w.row + 1}–${w.row + w.rows}, columns ${w.col + 1}–${w.col + w.cols} ` +
      `(image x ${w.rect.x}–${w.rect.x + w.rect.width}, y ${w.rect.y}–${w.rect.y + w.rect.height} px)`;
    const sentence = c.certified
      ? `No ${c.patchPx}×${c.patchPx} px patch anywhere in the image can make another class beat “${label(c.topClass)}” under ${defence}: ` +
        `even in the worst window, ${where}, its lower bound stays ${formatEvidence(c.margin)} above “${label(w.rivalClass)}”.`
      : `A ${c.patchPx}×${c.patchPx} px patch over ${where} could make “${label(w.rivalClass)}” beat “${label(c.topClass)}” ` +
        `under ${defence} (margin ${formatEvidence(c.margin)}).`;
    const order = Array.from(c.clippedEvidence.keys())
      .sort((a, b) => c.clippedEvidence[b]! - c.clippedEvidence[a]! || a - b)
      .slice(0, Math.max(1, Math.floor(Number(this.k)) || 5));
    if (!order.includes(w.rivalClass)) order.push(w.rivalClass);
    return html`<p part="verdict" class="verdict ${c.certified ? 'certified' : 'vulnerable'}">
        ${c.certified ? '✓ Certified' : '✗ Not certified'} against a ${c.patchPx}×${c.patchPx} px patch
      </p>
      <p part="explanation" class="explanation">${sentence}</p>
      <table part="classes">
        <caption class="visually-hidden">
          Evidence per class (mean over cells) after clipping and after the defence
        </caption>
        <thead>
          <tr>
            <th scope="col">Class</th>
            <th scope="col">Clipped</th>
            <th scope="col">Defended</th>
          </tr>
        </thead>
        <tbody>
          ${order.map(
            (k) =>
              html`<tr class=${k === c.topClass ? 'top' : ''}>
                <td>${label(k)}${k === w.rivalClass ? ' (closest rival)' : ''}</td>
                <td>${formatEvidence(c.clippedEvidence[k]!)}</td>
                <td>${formatEvidence(c.defendedEvidence[k]!)}</td>
              </tr>`,
          )}
        </tbody>
      </table>`;
  }

  protected override render(): TemplateResult {
    const { evidence, status } = this.data;
    const c = this.value;
    const g = evidence?.geometry;
    return html`${this.renderErrors()}
      <div part="base">
        ${this.#renderControls(g ? Math.max(g.imageWidth, g.imageHeight) : 64)}
        <div aria-live="polite">
          ${c !== null && evidence !== undefined ? this.#renderCertificate(c, evidence) : nothing}
        </div>
        ${
          evidence === undefined && status !== 'loading' && status !== 'running'
            ? html`<p class="status">No evidence yet.</p>`
            : nothing
        }
        ${this.renderStatus()}
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'patch-certificate': PatchCertificateElement;
  }
  interface GlobalEventHandlersEventMap {
    /** `<patch-certificate>` shows a new certificate (core's `patchRobustness` result). */
    'bagnet-certificate': CustomEvent<PatchRobustness>;
  }
}
