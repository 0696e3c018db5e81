/**
 * The elements' documentation as the CEM analyzer extracted it from their JSDoc
 * (packages/elements/custom-elements.json), for Storybook's controls (`argTypesFor`) and each
 * element's reference page (element-docs.ts). Nothing here is written by hand about an element
 * except which controls suit which attribute.
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
 *
 * Storybook keys argTypes by name and reads CSS parts last, so a part named like an attribute,
 * property or event (`outline`, `value`, `error`) would replace that row and its control: such a
 * part gets a key of its own (`::part(name)`), and the row it displaced is written out again.
 */
export function argTypesFor(tag: TagName, options: Record<string, readonly (string | number)[]> = {}): ArgTypes {
  const d = declarationOf(tag);
  const out: ArgTypes = {};
  const fields = (d.members ?? []).filter((m) => m.kind === 'field');
  for (const m of fields) {
    if (m.static || (m.attribute !== undefined && m.attribute !== m.name)) out[m.name] = { table: { disable: true } };
    else if (m.attribute === undefined) out[m.name] = { control: false };
  }
  for (const a of d.attributes ?? []) {
    const choices = options[a.name];
    out[a.name] = choices
      ? { control: { type: choices.length > 4 ? 'select' : 'inline-radio' }, options: [...choices] }
      : { control: controlFor(a.type?.text ?? 'string') };
  }
  for (const group of [d.slots, d.cssProperties]) {
    for (const item of group ?? []) out[item.name] = { control: false };
  }
  const row = (item: Described, category: string): ArgTypes[string] => ({
    name: item.name,
    description: item.description ?? '',
    type: { name: 'other', value: item.type?.text ?? '' },
    control: false,
    table: {
      category,
      type: { summary: item.type?.text ?? '' },
      defaultValue: { summary: item.default ?? '' },
      disable: false,
    },
  });
  for (const part of d.cssParts ?? []) {
    const attribute = d.attributes?.find((a) => a.name === part.name);
    const event = d.events?.find((e) => e.name === part.name);
    const field = fields.find((m) => m.name === part.name && !m.static);
    const displaced = attribute
      ? row(attribute, 'attributes')
      : event
        ? row(event, 'events')
        : field
          ? row(field, 'properties')
          : undefined;
    if (displaced === undefined) {
      out[part.name] = { control: false };
      continue;
    }
    out[`::part(${part.name})`] = row(part, 'css shadow parts');
    out[part.name] = { ...displaced, ...(attribute ? out[part.name] : {}) };
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
