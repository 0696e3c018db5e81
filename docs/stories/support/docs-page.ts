/**
 * The building blocks of the docs pages (Getting started, The science, API): a page frame and
 * code blocks. Styles: docs/.storybook/preview-head.html.
 */
import { html } from 'lit';
import type { TemplateResult } from 'lit';

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
