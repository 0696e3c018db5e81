/**
 * The building blocks of the docs pages (Getting started, The science, API, each element's
 * Reference): a page frame, code blocks and reference tables. Styles: docs/.storybook/preview-head.html.
 */
import { html } from 'lit';
import type { TemplateResult } from 'lit';

import { referenceOf } from './manifest.js';
import type { TagName } from './manifest.js';

/** A docs page: a readable column of text. */
export function page(content: TemplateResult): TemplateResult {
  return html`<article class="docs-page">${content}</article>`;
}

/** A code block with a language label (text only: nothing in it is run). */
export function code(language: string, source: string): TemplateResult {
  return html`<figure class="docs-code">
    <figcaption>${language}</figcaption>
    <pre><code>${source.replace(/^\n/, '').replace(/\s+$/, '')}</code></pre>
  </figure>`;
}

/** Inline `code` spans in a sentence of the manifest: `like this` → <code>like this</code>. */
export function prose(text: string): (string | TemplateResult)[] {
  return text.split(/(`[^`]+`)/).map((part) => (part.startsWith('`') ? html`<code>${part.slice(1, -1)}</code>` : part));
}

/** The reference of an element from custom-elements.json, as tables. */
export function reference(tag: TagName, summary: string | undefined): TemplateResult {
  return page(html`
    <h1><code>&lt;${tag}&gt;</code></h1>
    ${summary ? html`<p class="docs-lead">${prose(summary)}</p>` : ''}
    <p>
      Generated from the element's JSDoc through <code>custom-elements.json</code> (the same data as the Controls panel
      of the other stories).
    </p>
    ${referenceOf(tag).map(
      (t) =>
        html`<h2>${t.title}</h2>
          <table class="docs-table">
            <thead>
              <tr>
                ${t.columns.map((c) => html`<th>${c}</th>`)}
              </tr>
            </thead>
            <tbody>
              ${t.rows.map(
                (r) =>
                  html`<tr>
                    ${r.map((cell, i) => html`<td>${(i === 0 || i === 1) && cell !== '' ? html`<code>${cell}</code>` : prose(cell)}</td>`)}
                  </tr>`,
              )}
            </tbody>
          </table>`,
    )}
  `);
}
