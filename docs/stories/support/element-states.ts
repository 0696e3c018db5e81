/**
 * What the stories' play functions wait for: an element has shown its data, or its inline error.
 * A story whose element never gets there fails (and so does test/node/docs.test.ts).
 */
import { expect, waitFor } from 'storybook/test';

/** How long a model load and run may take in a story (the CPU backend on a slow machine). */
const TIMEOUT = 30_000;

/** The element `selector` inside the story's canvas. */
export function elementIn<T extends Element>(canvasElement: HTMLElement, selector: string): T {
  const el = canvasElement.querySelector<T>(selector);
  if (el === null) throw new Error(`The story has no ${selector}.`);
  return el;
}

/** The text of the element's inline error block (`::part(error)`), or '' when there is none. */
export function errorText(el: Element): string {
  return el.shadowRoot?.querySelector('[part="error"]')?.textContent?.trim() ?? '';
}

/** Waits until `ready()` holds (e.g. `el.rows.length > 0`) and the element shows no error. */
export async function untilShown(el: Element, ready: () => boolean, what: string): Promise<void> {
  await waitFor(
    () => {
      expect(errorText(el), `${el.localName} shows an error`).toBe('');
      expect(ready(), `${el.localName}: ${what}`).toBe(true);
    },
    { timeout: TIMEOUT },
  );
}

/** Waits until the element shows an inline error matching `message`. */
export async function untilError(el: Element, message: RegExp): Promise<void> {
  await waitFor(() => expect(errorText(el)).toMatch(message), { timeout: TIMEOUT });
}

/** Waits until the element shows its loading / computing status line. */
export async function untilStatus(el: Element, status: RegExp): Promise<void> {
  await waitFor(
    () => expect(el.shadowRoot?.querySelector('[part="status"]')?.textContent?.trim() ?? '').toMatch(status),
    { timeout: TIMEOUT },
  );
}
