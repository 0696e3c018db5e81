/**
 * Before and after fine-tuning, on one colour scale: the default model and the fine-tuned one
 * explain the same image side by side, and both heatmaps take their colour limits from one
 * scale computed by core (`sharedClipScale` over the two maps shown), so equal colours mean equal
 * patch logits in both — two heatmaps each scaled to itself would not compare.
 */
import { sharedClipScale } from '@bagnet-vis/core';
import type { BagNet, BagNetImageInput, EvidenceMap } from '@bagnet-vis/core';
import type { BagNetHeatmapElement } from '@bagnet-vis/elements';

import { errorMessage, showError } from './messages.js';

export interface OneScaleParts {
  readonly section: HTMLElement;
  readonly before: BagNetHeatmapElement;
  readonly after: BagNetHeatmapElement;
  readonly beforeCaption: HTMLElement;
  readonly afterCaption: HTMLElement;
  readonly status: HTMLElement;
  readonly error: HTMLElement;
}

export class OneScaleSection {
  readonly #parts: OneScaleParts;
  readonly #base: BagNet;
  #shown: EvidenceMap[] = [];

  constructor(parts: OneScaleParts, base: BagNet) {
    this.#parts = parts;
    this.#base = base;
  }

  /** Explains `image` with the default and the fine-tuned model on one scale. */
  async compare(tuned: BagNet, image: BagNetImageInput, name: string): Promise<void> {
    const { section, before, after, beforeCaption, afterCaption, status, error } = this.#parts;
    section.dataset['state'] = 'running';
    showError(error, undefined);
    try {
      const maps = [await this.#base.evidence(image), await tuned.evidence(image)] as const;
      const tops = maps.map((m) => m.topClasses(1)[0]!);
      const scale = sharedClipScale(maps.map((m, i) => m.classMap(tops[i]!.index)));
      for (const [el, map, top, caption, who] of [
        [before, maps[0], tops[0]!, beforeCaption, 'Default model'],
        [after, maps[1], tops[1]!, afterCaption, 'Fine-tuned head'],
      ] as const) {
        el.image = image;
        el.evidence = map;
        el.classIndex = top.index;
        el.domain = scale.domain;
        caption.textContent = `${who}: “${top.label}”, logit ${top.logit.toFixed(2)}`;
      }
      for (const old of this.#shown) old.dispose();
      this.#shown = [...maps];
      status.textContent =
        `${name}. One colour scale for both: ±${scale.limit.toPrecision(3)}, the ${scale.percentile}th ` +
        'percentile of |patch logit| over both maps.';
      section.dataset['state'] = 'done';
    } catch (e) {
      section.dataset['state'] = 'error';
      showError(error, `Comparing the models failed: ${errorMessage(e)}`);
    }
  }
}
