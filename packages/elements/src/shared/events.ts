/**
 * The typed events of the elements. Besides the standard `input` (continuous: hover, keyboard
 * cursor) and `change` (committed: click, Enter) events with a `.value` on the element, which
 * Observable's `viewof` reads, every element dispatches these `bagnet-*` CustomEvents with
 * `bubbles: true, composed: true`.
 */
import { BagNetInputError } from '@bagnet-vis/core';
import type { BagNet, BagNetImageInput, EvidenceMap, PatchRect } from '@bagnet-vis/core';

/** A cell of the evidence grid (and, in a gallery over an image set, which image). */
export interface CellRef {
  readonly row: number;
  readonly col: number;
  /** Index into the gallery's image set; absent for a single image. */
  readonly imageIndex?: number;
}

/** A cell with its evidence for a class: the `detail` of `bagnet-cell-hover` / `bagnet-cell-select`. */
export interface CellEvidence extends CellRef {
  readonly classIndex: number;
  /** The patch's class logit E[row, col, c]. */
  readonly logit: number;
  /** Its additive contribution to the image logit (core's `ClassEvidence.contributions`). */
  readonly contribution: number;
  /** The q × q image rectangle the cell sees (its receptive field). */
  readonly rect: PatchRect;
}

/** `detail` of `bagnet-evidence`: a model run finished (or a precomputed map was set). */
export interface EvidenceDetail {
  readonly evidence: EvidenceMap;
  /** The class shown: the selected one, else the top-1 class. */
  readonly classIndex: number;
  readonly image?: BagNetImageInput;
  readonly model?: BagNet;
}

/** `detail` of `bagnet-dense-level`: a level of a progressive dense (per-pixel) heatmap was painted. */
export interface DenseLevelDetail {
  readonly classIndex: number;
  /** Pixels between samples: 8, 4, 2, then 1 (every pixel). */
  readonly stride: number;
  /** Whether this is the finest level (the computation is done). */
  readonly isFinal: boolean;
}

/** `detail` of `bagnet-class-select`: a class picked in an `<evidence-bar>`. */
export interface ClassSelectDetail {
  readonly classIndex: number;
  readonly label: string;
}

/**
 * What went wrong, by input (`robustness`: a patch-robustness option or computation); `context-lost`: the GPU (WebGL) context was lost — recoverable, the
 * element computes again by itself once the browser restores it.
 */
export type ElementErrorCode =
  'model' | 'image' | 'class-index' | 'colormap' | 'evidence' | 'context-lost' | 'robustness';

/** `detail` of `bagnet-error`; the same error is also dispatched as a standard `error` ErrorEvent. */
export interface ElementErrorDetail {
  readonly code: ElementErrorCode;
  /** A readable sentence: what was wrong, where, and what to do (shown in the element). */
  readonly message: string;
  readonly error: Error;
}

export type CellHoverEvent = CustomEvent<CellEvidence | null>;
export type CellSelectEvent = CustomEvent<CellEvidence | null>;
export type BagNetEvidenceEvent = CustomEvent<EvidenceDetail>;
export type ClassSelectEvent = CustomEvent<ClassSelectDetail>;
export type DenseLevelEvent = CustomEvent<DenseLevelDetail>;
export type BagNetErrorEvent = CustomEvent<ElementErrorDetail>;

declare global {
  interface GlobalEventHandlersEventMap {
    /** The cell under the pointer or keyboard cursor changed (`null`: none). */
    'bagnet-cell-hover': CellHoverEvent;
    /** A cell was selected by click or Enter (`null`: selection cleared). */
    'bagnet-cell-select': CellSelectEvent;
    /** A new evidence map is shown. */
    'bagnet-evidence': BagNetEvidenceEvent;
    /** A level of a dense heatmap (`resolution="dense"`) was painted. */
    'bagnet-dense-level': DenseLevelEvent;
    /** A class was picked in an `<evidence-bar>`. */
    'bagnet-class-select': ClassSelectEvent;
    /** An input could not be used; the element shows the message inline. */
    'bagnet-error': BagNetErrorEvent;
  }
}

/** Dispatches a `bagnet-*` event (bubbles, composed). */
export function dispatchBagNetEvent<K extends keyof GlobalEventHandlersEventMap>(
  target: EventTarget,
  type: K,
  detail: GlobalEventHandlersEventMap[K] extends CustomEvent<infer D> ? D : never,
): void {
  target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}

/** Dispatches the standard `input` or `change` event (bubbles, composed, like native controls). */
export function dispatchValueEvent(target: EventTarget, type: 'input' | 'change'): void {
  target.dispatchEvent(new Event(type, { bubbles: true, composed: true }));
}

/**
 * Checks a `class-index` against `evidence`; returns the error detail to show, or undefined. A
 * value that is not a number (`class-index="dog"` reads as NaN) is reported with what was written,
 * not as "Class index NaN".
 */
export function classIndexError(
  evidence: EvidenceMap,
  classIndex: number,
  attribute: string | null,
): ElementErrorDetail | undefined {
  if (Number.isNaN(classIndex)) {
    const n = evidence.numClasses;
    return elementError(
      'class-index',
      new BagNetInputError(
        `class-index ${JSON.stringify(attribute ?? 'NaN').slice(0, 80)} is not a number: give a class index from 0 to ${n - 1} (this model has ${n} classes).`,
      ),
    );
  }
  try {
    evidence.checkClass(classIndex);
    return undefined;
  } catch (e) {
    return elementError('class-index', e);
  }
}

/** Builds an error detail; `error` may be anything thrown. */
export function elementError(code: ElementErrorCode, error: unknown): ElementErrorDetail {
  const err = error instanceof Error ? error : new Error(String(error));
  return { code, message: err.message, error: err };
}

/** Dispatches `bagnet-error` (bubbles, composed) and a standard, non-bubbling `error` ErrorEvent. */
export function dispatchElementError(target: EventTarget, detail: ElementErrorDetail): void {
  target.dispatchEvent(new ErrorEvent('error', { message: detail.message, error: detail.error }));
  dispatchBagNetEvent(target, 'bagnet-error', detail);
}

/** Whether `error` is a cancellation (an `AbortError` from core or the DOM). */
export function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
