/**
 * Mounting the elements into a draw area — once: a later call finds the same element and updates it
 * in place — and drawing only when the draw area is shown. A surface on a hidden visor tab is
 * `display: none` (zero width): data given to a view there is queued and applied when the area gets
 * a width (a ResizeObserver watches it), so nothing is laid out or painted at zero size.
 */
import '@bagnet-vis/elements/define.js';

/** The views a render or show function mounts. */
export type ViewKind = 'heatmap' | 'evidence-bar' | 'patch-gallery' | 'explainer';

const TAGS = {
  heatmap: 'bagnet-heatmap',
  'evidence-bar': 'evidence-bar',
  'patch-gallery': 'patch-gallery',
  explainer: 'bagnet-explainer',
} as const satisfies Record<ViewKind, keyof HTMLElementTagNameMap>;

/** The element class of each view. */
export type ViewElement<K extends ViewKind> = HTMLElementTagNameMap[(typeof TAGS)[K]];

/**
 * Marks the elements this package mounted (value: the view kind), so that a second call finds
 * them and an element of the same tag that the page placed there itself is left alone.
 */
export const VIEW_ATTRIBUTE = 'data-bagnet-vis';

/**
 * The `kind` view mounted directly in `drawArea` by an earlier call, or a new one (set up by
 * `create`, then appended).
 */
export function mountView<K extends ViewKind>(
  drawArea: HTMLElement,
  kind: K,
  create?: (element: ViewElement<K>) => void,
): ViewElement<K> {
  const tag = TAGS[kind];
  for (const child of Array.from(drawArea.children)) {
    if (child.localName === tag && child.getAttribute(VIEW_ATTRIBUTE) === kind) return child as ViewElement<K>;
  }
  const element = document.createElement(tag) as ViewElement<K>;
  element.setAttribute(VIEW_ATTRIBUTE, kind);
  create?.(element);
  drawArea.append(element);
  return element;
}

/** Whether `drawArea` is laid out with a width (not in a hidden tab, not detached). */
export function isShown(drawArea: HTMLElement): boolean {
  return drawArea.isConnected && drawArea.getBoundingClientRect().width > 0;
}

/** Updates waiting for their draw area to be shown, per draw area and element, in call order. */
const queued = new WeakMap<HTMLElement, Map<Element, (() => void)[]>>();
const watchers = new WeakMap<HTMLElement, ResizeObserver>();

function flush(drawArea: HTMLElement): void {
  const byElement = queued.get(drawArea);
  queued.delete(drawArea);
  watchers.get(drawArea)?.disconnect();
  watchers.delete(drawArea);
  for (const updates of byElement?.values() ?? []) for (const update of updates) update();
}

/**
 * Applies `update` (property assignments on `element`) now when `drawArea` is shown, else queues it
 * until it is. Updates queued for the same element run in order, in one task, so the element
 * renders once with their sum. Returns whether it ran now.
 */
export function updateWhenShown(drawArea: HTMLElement, element: Element, update: () => void): boolean {
  if (isShown(drawArea)) {
    flush(drawArea);
    update();
    return true;
  }
  let byElement = queued.get(drawArea);
  if (byElement === undefined) {
    byElement = new Map();
    queued.set(drawArea, byElement);
  }
  const updates = byElement.get(element) ?? [];
  updates.push(update);
  byElement.set(element, updates);
  if (!watchers.has(drawArea) && typeof ResizeObserver !== 'undefined') {
    const watcher = new ResizeObserver(() => {
      if (isShown(drawArea)) flush(drawArea);
    });
    watchers.set(drawArea, watcher);
    watcher.observe(drawArea);
  }
  return false;
}

/** Whether `element` has updates waiting for its draw area to be shown. */
export function hasQueuedUpdates(element: Element): boolean {
  const drawArea = element.parentElement;
  return drawArea !== null && (queued.get(drawArea)?.get(element)?.length ?? 0) > 0;
}
