/** Waiting helpers for lit elements whose work continues after `updateComplete`. */
import { oneEvent, waitUntil } from '@open-wc/testing';
import type { LitElement } from 'lit';

/** Waits until `el` has no update pending (updates may schedule further updates). */
export async function settle(el: LitElement): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await el.updateComplete;
    await new Promise((r) => setTimeout(r, 0));
    if (!el.isUpdatePending) return;
  }
  throw new Error(`${el.localName} keeps updating`);
}

/** Waits until `predicate` holds (polling), then until `el` settles. */
export async function until(el: LitElement, predicate: () => boolean, message: string, timeout = 20000) {
  await waitUntil(predicate, message, { timeout, interval: 10 });
  await settle(el);
}

/** An element's shadow-root query that must match. */
export function $<T extends Element = HTMLElement>(el: Element, selector: string): T {
  const found = el.shadowRoot!.querySelector<T>(selector);
  if (found === null) throw new Error(`${el.localName}: no ${selector}`);
  return found;
}

/** The next `type` event on `target`, typed through `GlobalEventHandlersEventMap` (so `bagnet-*` details are typed). */
export function nextEvent<K extends keyof GlobalEventHandlersEventMap>(
  target: EventTarget,
  type: K,
): Promise<GlobalEventHandlersEventMap[K]> {
  return oneEvent(target, type) as Promise<GlobalEventHandlersEventMap[K]>;
}
