/**
 * The reference page of each element (Storybook autodocs, `@storybook/addon-docs`): its name, its
 * summary and description, its first story with live Controls, then every attribute, property,
 * event, slot, CSS part and custom property — all read from custom-elements.json (Storybook's
 * web-components renderer turns the manifest into argTypes; `argTypesFor` picks the controls) —
 * and its public methods, which the renderer leaves out. Nothing in it is written by hand about an
 * element. The other stories are not repeated here: each has its own page.
 */
import { createElement as h, Fragment } from 'react';
import type { ReactElement } from 'react';
import { Controls, Description, Markdown, Primary, Subtitle, Title, useOf } from '@storybook/addon-docs/blocks';

import { declarationOf } from './manifest.js';
import type { TagName } from './manifest.js';

/** The element's public methods as a Markdown table ('' when it has none). */
export function methodsMarkdown(tag: TagName): string {
  const methods = (declarationOf(tag).members ?? []).filter(
    (m) => m.kind === 'method' && !m.static && m.privacy !== 'private' && m.privacy !== 'protected',
  );
  if (methods.length === 0) return '';
  const cell = (s: string | undefined) => (s ?? '').replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
  return [
    '## Methods',
    '',
    '| method | description |',
    '| --- | --- |',
    ...methods.map((m) => `| \`${m.name}()\` | ${cell(m.description)} |`),
  ].join('\n');
}

/** `parameters.docs.page` of the element stories (preview.ts). */
export function ElementDocsPage(): ReactElement {
  const { preparedMeta } = useOf('meta', ['meta']);
  const tag = preparedMeta.component as TagName;
  const methods = methodsMarkdown(tag);
  return h(
    Fragment,
    null,
    h(Title),
    h(Subtitle, null, declarationOf(tag).summary),
    h(Description),
    h(Primary),
    h(Controls),
    methods === '' ? null : h(Markdown, null, methods),
  );
}
