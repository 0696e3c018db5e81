/** Looking up the page's own elements by id, typed, failing loudly when the markup changed. */

/** The element with `id`, checked to be an instance of `type`. */
export function byId<T extends Element>(id: string, type: abstract new (...args: never[]) => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type))
    throw new Error(`The demo page has no <${type.name}> #${id}: index.html and main.ts disagree.`);
  return el;
}

/** A new element with text content and attributes. */
export function make<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  if (text !== undefined) el.textContent = text;
  return el;
}
