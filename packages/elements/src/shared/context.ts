/**
 * The explanation `<bagnet-explainer>` shares with the elements inside it (lit context): one
 * model run per image, and the interaction state that links the views — the selected class, the
 * hovered and the selected cell.
 */
import { createContext } from '@lit/context';
import type { BagNet, BagNetImageInput, EvidenceMap } from '@bagnet-vis/core';

import type { LoadStatus } from './evidence-loader.js';
import type { CellRef, ElementErrorDetail } from './events.js';
import type { PatchWindowMark } from './patch-window.js';

/** What a linked view may change; the explainer updates and re-provides the explanation. */
export interface ExplanationActions {
  /** Shows another class in every linked view. */
  selectClass(classIndex: number): void;
  /** The cell under the pointer or keyboard cursor of a view (`null`: none). */
  hoverCell(cell: CellRef | null): void;
  /** The cell a view selected (`null`: clear). */
  selectCell(cell: CellRef | null): void;
  /** The worst-case window of a `<patch-certificate>`, for the heatmap to draw (`null`: none). */
  showPatchWindow(mark: PatchWindowMark | null): void;
}

/** A snapshot of the explainer's state; a new object after every change. */
export interface Explanation {
  readonly status: LoadStatus;
  readonly model?: BagNet;
  readonly image?: BagNetImageInput;
  readonly evidence?: EvidenceMap;
  readonly error?: ElementErrorDetail;
  /** The class the views show: the explainer's `class-index`, else the top-1 class. */
  readonly classIndex?: number;
  readonly hoveredCell: CellRef | null;
  readonly selectedCell: CellRef | null;
  /** The worst-case patch window reported by a `<patch-certificate>`, or `null`. */
  readonly patchWindow: PatchWindowMark | null;
  readonly actions: ExplanationActions;
}

export const explanationContext = createContext<Explanation | undefined>(
  Symbol.for('@bagnet-vis/elements:explanation'),
);
