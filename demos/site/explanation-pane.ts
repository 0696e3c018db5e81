/**
 * One explanation on the page: a `<bagnet-explainer>` (with its heatmap, bars and gallery inside)
 * plus a verdict line and the forward time. The page runs the model itself — timed, for the
 * backend picker — and hands the explainer the model, the image and the evidence map, so the views
 * never run it a second time. The newest request wins; the pane owns the evidence it shows.
 */
import type { BagNet, BagNetImageInput, ClassScore, EvidenceMap } from '@bagnet-vis/core';
import type { BagNetExplainerElement } from '@bagnet-vis/elements';

import { BackendPicker } from './backend-picker.js';
import { formatDuration, formatPercent } from './format.js';
import { errorMessage } from './messages.js';
import { make } from './page-elements.js';

/** A cell of the evidence map to select once the explanation shows. */
export interface Cell {
  readonly row: number;
  readonly col: number;
}

/** What the verdict line says about a prediction. */
export interface Verdict {
  /** The true class, when known: the line then says whether the prediction is right. */
  readonly trueClass?: number;
  /** Text before the prediction, e.g. the image's name. */
  readonly prefix?: string;
}

export class ExplanationPane {
  readonly #detail: HTMLElement;
  readonly #explainer: BagNetExplainerElement;
  readonly #verdict: HTMLElement;
  readonly #timing: HTMLElement | undefined;
  readonly #picker: BackendPicker;
  #request = 0;
  #evidence?: EvidenceMap;
  #shown?: { model: BagNet; image: BagNetImageInput; verdict: Verdict };

  constructor(
    detail: HTMLElement,
    explainer: BagNetExplainerElement,
    verdict: HTMLElement,
    timing: HTMLElement | undefined,
    picker: BackendPicker,
  ) {
    this.#detail = detail;
    this.#explainer = explainer;
    this.#verdict = verdict;
    this.#timing = timing;
    this.#picker = picker;
  }

  /** The model and image shown (or being computed). */
  get shown(): { model: BagNet; image: BagNetImageInput } | undefined {
    return this.#shown;
  }

  /** Runs `model` on `image` and shows the result; resolves when it shows (or a newer call won). */
  async show(model: BagNet, image: BagNetImageInput, verdict: Verdict = {}, cell?: Cell): Promise<void> {
    const request = ++this.#request;
    this.#shown = { model, image, verdict };
    this.#detail.dataset['state'] = 'running';
    this.#verdict.classList.remove('error');
    try {
      const { evidence, ms, backend, first } = await this.#picker.timedEvidence(model, image);
      if (request !== this.#request) {
        evidence.dispose();
        return;
      }
      const old = this.#evidence;
      this.#evidence = evidence;
      const shown = new Promise<void>((resolve) => {
        const done = (e: Event) => {
          if ((e as CustomEvent<{ evidence: EvidenceMap }>).detail.evidence !== evidence) return;
          this.#explainer.removeEventListener('bagnet-evidence', done);
          resolve();
        };
        this.#explainer.addEventListener('bagnet-evidence', done);
      });
      this.#explainer.classIndex = undefined; // the top-1 class
      this.#explainer.model = model;
      this.#explainer.image = image;
      this.#explainer.evidence = evidence;
      const top = evidence.topClasses(1)[0]!;
      this.#verdict.replaceChildren(...this.#describe(top, verdict, evidence.labels));
      const g = evidence.geometry;
      if (this.#timing) {
        this.#timing.textContent =
          `Forward pass ${formatDuration(ms)} on ${BackendPicker.nameOf(backend)}${first ? ' (first run: includes setup)' : ''} · ` +
          `${g.rows}×${g.cols} patches of ${g.receptiveField}×${g.receptiveField} px, stride ${g.stride}`;
      }
      // The views take the evidence a task later; never wait forever on them.
      await Promise.race([shown, new Promise((resolve) => setTimeout(resolve, 5000))]);
      await this.#explainer.updateComplete;
      old?.dispose(); // its tensors only: the views may still read its CPU arrays, which stay valid
      if (request !== this.#request) return;
      if (cell) this.#explainer.selectedCell = cell;
      this.#detail.dataset['predicted'] = String(top.index);
      this.#detail.dataset['state'] = 'ready';
    } catch (e) {
      if (request !== this.#request) return;
      this.#detail.dataset['state'] = 'error';
      this.#verdict.classList.add('error');
      this.#verdict.textContent = `Could not explain this image: ${errorMessage(e)}`;
    }
  }

  /** Runs the shown model and image again (e.g. to time another backend). */
  async refresh(): Promise<void> {
    if (this.#shown) await this.show(this.#shown.model, this.#shown.image, this.#shown.verdict);
  }

  /** Shows nothing (e.g. when its model is going away) with `message` as the verdict line. */
  clear(message: string): void {
    this.#request++;
    this.#shown = undefined;
    this.#explainer.evidence = undefined;
    this.#explainer.image = undefined;
    this.#explainer.model = undefined;
    this.#evidence?.dispose();
    this.#evidence = undefined;
    this.#verdict.classList.remove('error');
    this.#verdict.textContent = message;
    if (this.#timing) this.#timing.textContent = '';
    this.#detail.dataset['state'] = 'empty';
    delete this.#detail.dataset['predicted'];
  }

  #describe(top: ClassScore, verdict: Verdict, labels: readonly string[]): Node[] {
    const nodes: Node[] = [];
    if (verdict.prefix) nodes.push(document.createTextNode(`${verdict.prefix} · `));
    if (verdict.trueClass !== undefined) {
      nodes.push(
        document.createTextNode('True class '),
        make(
          'span',
          { class: 'label', 'data-role': 'true' },
          labels[verdict.trueClass] ?? `class ${verdict.trueClass}`,
        ),
        document.createTextNode(' · predicted '),
      );
    } else nodes.push(document.createTextNode('Predicted '));
    nodes.push(
      make('span', { class: 'label', 'data-role': 'predicted' }, top.label),
      document.createTextNode(` (${formatPercent(top.probability)})`),
    );
    if (verdict.trueClass !== undefined) {
      const right = verdict.trueClass === top.index;
      nodes.push(make('span', { class: `mark ${right ? 'right' : 'wrong'}` }, right ? '✓ right' : '✗ wrong'));
    }
    return nodes;
  }
}
