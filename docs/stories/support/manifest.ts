/**
 * The elements' documentation as the CEM analyzer extracted it from their JSDoc
 * (packages/elements/custom-elements.json): Storybook's controls (`argTypesFor`) and the reference
 * tables of each element's "Reference" story (`referenceOf`). Nothing here is written by hand
 * about an element except which controls suit which attribute.
 */
import type { ArgTypes } from '@storybook/web-components-vite';

import manifestJson from '../../../packages/elements/custom-elements.json';

/** The parts of a custom-elements.json declaration that the docs read. */
interface Described {
  readonly name: string;
  readonly description?: string;
  readonly type?: { readonly text: string };
  readonly default?: string;
}
interface Member extends Described {
  readonly kind: 'field' | 'method';
  readonly attribute?: string;
  readonly static?: boolean;
  readonly readonly?: boolean;
  readonly privacy?: string;
}
export interface ElementDeclaration {
  readonly tagName: string;
  readonly name: string;
  readonly summary?: string;
  readonly description?: string;
  readonly attributes?: readonly (Described & { readonly fieldName?: string })[];
  readonly members?: readonly Member[];
  readonly events?: readonly Described[];
  readonly slots?: readonly Described[];
  readonly cssParts?: readonly Described[];
  readonly cssProperties?: readonly Described[];
}
interface Manifest {
  readonly modules: readonly {
    readonly path: string;
    readonly declarations?: readonly Partial<ElementDeclaration>[];
  }[];
}

/** The manifest, for `setCustomElementsManifest` (preview.ts). */
export const manifest: Manifest = manifestJson as unknown as Manifest;

/** The tag names of @bagnet-vis/elements. */
export type TagName = 'bagnet-heatmap' | 'patch-gallery' | 'evidence-bar' | 'bagnet-explainer' | 'patch-certificate';

/** The declaration of `tag`; throws when the manifest lacks it (a stale or broken manifest). */
export function declarationOf(tag: TagName): ElementDeclaration {
  for (const mod of manifest.modules) {
    for (const d of mod.declarations ?? []) if (d.tagName === tag) return d as ElementDeclaration;
  }
  throw new Error(`custom-elements.json has no <${tag}>: regenerate it with npm run manifest -w @bagnet-vis/elements.`);
}

/** A control for an attribute from its TypeScript type: number, boolean, text, or options. */
function controlFor(typeText: string): ArgTypes[string]['control'] {
  if (/\bnumber\b/.test(typeText)) return { type: 'number' };
  if (/\bboolean\b/.test(typeText)) return { type: 'boolean' };
  return { type: 'text' };
}

/**
 * Storybook argTypes for `tag`, on top of the ones Storybook reads from the manifest itself: every
 * attribute gets a control that suits its type (or the `options` given), properties that only
 * mirror an attribute are hidden (the attribute row documents them), and object-valued properties,
 * events, parts and custom properties are documented without a control.
 */
export function argTypesFor(tag: TagName, options: Record<string, readonly (string | number)[]> = {}): ArgTypes {
  const d = declarationOf(tag);
  const out: ArgTypes = {};
  for (const m of d.members ?? []) {
    if (m.kind !== 'field') continue;
    if (m.static || (m.attribute !== undefined && m.attribute !== m.name)) out[m.name] = { table: { disable: true } };
    else if (m.attribute === undefined) out[m.name] = { control: false };
  }
  for (const a of d.attributes ?? []) {
    const choices = options[a.name];
    out[a.name] = choices
      ? { control: { type: choices.length > 4 ? 'select' : 'inline-radio' }, options: [...choices] }
      : { control: controlFor(a.type?.text ?? 'string') };
  }
  for (const group of [d.slots, d.cssParts, d.cssProperties]) {
    for (const item of group ?? []) out[item.name] = { control: false };
  }
  return out;
}

/** The attribute values of `args` for `tag` (the keys of `args` are attribute names). */
export function attributeArgs(tag: TagName, args: Record<string, unknown>): [string, string | boolean][] {
  const out: [string, string | boolean][] = [];
  for (const a of declarationOf(tag).attributes ?? []) {
    const v = args[a.name];
    if (v === undefined || v === null || v === '' || v === false) continue;
    out.push([a.name, v === true ? true : String(v)]);
  }
  return out;
}

/** One table of an element's reference: a title and rows of cells. */
export interface ReferenceTable {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** The element's API in tables: attributes, properties, events, slots, CSS parts and custom properties. */
export function referenceOf(tag: TagName): ReferenceTable[] {
  const d = declarationOf(tag);
  const text = (s: string | undefined) => (s ?? '').replace(/\s*\n\s*/g, ' ');
  const attributeFields = new Set((d.attributes ?? []).map((a) => a.fieldName ?? a.name));
  const tables: ReferenceTable[] = [
    {
      title: 'Attributes',
      columns: ['attribute', 'type', 'default', 'description'],
      rows: (d.attributes ?? []).map((a) => [a.name, a.type?.text ?? '', a.default ?? '', text(a.description)]),
    },
    {
      title: 'Properties (JavaScript only)',
      columns: ['property', 'type', '', 'description'],
      rows: (d.members ?? [])
        .filter((m) => m.kind === 'field' && !m.static && !attributeFields.has(m.name))
        .map((m) => [m.name, m.type?.text ?? '', m.readonly ? 'read-only' : '', text(m.description)]),
    },
    {
      title: 'Methods',
      columns: ['method', '', '', 'description'],
      rows: (d.members ?? [])
        .filter((m) => m.kind === 'method')
        .map((m) => [`${m.name}()`, '', '', text(m.description)]),
    },
    {
      title: 'Events',
      columns: ['event', 'type', '', 'description'],
      rows: (d.events ?? []).map((e) => [e.name, e.type?.text ?? '', '', text(e.description)]),
    },
    {
      title: 'Slots',
      columns: ['slot', '', '', 'description'],
      rows: (d.slots ?? []).map((s) => [s.name === '' ? '(default)' : s.name, '', '', text(s.description)]),
    },
    {
      title: 'CSS parts (::part)',
      columns: ['part', '', '', 'description'],
      rows: (d.cssParts ?? []).map((p) => [p.name, '', '', text(p.description)]),
    },
    {
      title: 'CSS custom properties',
      columns: ['property', '', '', 'description'],
      rows: (d.cssProperties ?? []).map((p) => [p.name, '', '', text(p.description)]),
    },
  ];
  return tables.filter((t) => t.rows.length > 0);
}
