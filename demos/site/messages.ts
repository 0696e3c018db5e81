/** How the page reports problems: one readable sentence per error, shown next to what failed. */
import { BagNetAbortError } from '@bagnet-vis/core';

/** Whether `e` is a cancellation (not an error to show). */
export function isAbort(e: unknown): boolean {
  return e instanceof BagNetAbortError || (e instanceof DOMException && e.name === 'AbortError');
}

/** The message of any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/** Shows `message` in `el` (an element with role="alert"), or hides it when undefined. */
export function showError(el: HTMLElement, message: string | undefined): void {
  el.textContent = message ?? '';
  el.hidden = message === undefined;
}
