/**
 * The worst-case window of a patch-robustness certificate (core's `patchRobustness`) as a box on a
 * heatmap: the image area seen by the window's cells, where a patch would do the most harm.
 * `<patch-certificate>` hands it to a surrounding `<bagnet-explainer>`, whose heatmap draws it; a
 * page can also set a heatmap's `.patchWindow` itself.
 */
import { css, html, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import type { PatchGeometry, PatchRect } from '@bagnet-vis/core';

import { styleProps } from './style-props.js';

/** A window of cells to mark, with what the certificate says about it. */
export interface PatchWindowMark {
  /** Top-left cell and size in cells. */
  readonly row: number;
  readonly col: number;
  readonly rows: number;
  readonly cols: number;
  /** The image rectangle the window's cells see (core's `CellWindow.rect`). */
  readonly rect: PatchRect;
  /** Side of the patch the certificate is for, in pixels. */
  readonly patchPx: number;
  /** Whether the prediction is certified against that patch (the box is drawn either way). */
  readonly certified: boolean;
}

export const patchWindowStyles = css`
  .patch-window {
    position: absolute;
    pointer-events: none;
    border: var(--bagnet-patch-window-width, 3px) dashed var(--bagnet-patch-window-color, #9a6700);
    box-shadow: 0 0 0 1px var(--bagnet-receptive-field-halo, rgba(255, 255, 255, 0.85));
  }

  .patch-window.certified {
    border-style: dotted;
  }

  .patch-window > span {
    position: absolute;
    top: 0;
    left: 0;
    padding: 0 0.25rem;
    font-size: 0.75em;
    background: var(--bagnet-patch-window-color, #9a6700);
    color: #fff;
    white-space: nowrap;
  }
`;

const pct = (v: number, total: number) => `${(100 * v) / total}%`;

/** The box of `mark` over an image of `geometry`'s size (percent positions), or nothing. */
export function renderPatchWindow(
  mark: PatchWindowMark | null,
  geometry: PatchGeometry | undefined,
): TemplateResult | typeof nothing {
  if (mark === null || geometry === undefined) return nothing;
  const r = mark.rect;
  if (r.x + r.width > geometry.imageWidth || r.y + r.height > geometry.imageHeight) return nothing;
  return html`<div
    part="patch-window"
    class="patch-window ${mark.certified ? 'certified' : ''}"
    aria-hidden="true"
    style=${styleProps({
      left: pct(r.x, geometry.imageWidth),
      top: pct(r.y, geometry.imageHeight),
      width: pct(r.width, geometry.imageWidth),
      height: pct(r.height, geometry.imageHeight),
    })}
  >
    <span>${mark.patchPx} px patch: ${mark.certified ? 'certified' : 'worst window'}</span>
  </div>`;
}
