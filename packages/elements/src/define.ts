/**
 * Registers the elements under their tag names: `import '@bagnet-vis/elements/define.js'`.
 * Guarded, so that loading the package twice (two bundles, a CDN copy next to an npm one) does not
 * throw: a tag already defined by the same class is skipped; one defined by a different class is
 * kept, with a warning naming both versions. To use other tag names, import the classes from
 * `@bagnet-vis/elements` and call `customElements.define` yourself.
 */
import { EvidenceBarElement } from './evidence-bar/evidence-bar.element.js';
import { PatchCertificateElement } from './certificate/certificate.element.js';
import { BagNetExplainerElement } from './explainer/explainer.element.js';
import { PatchGalleryElement } from './gallery/gallery.element.js';
import { BagNetHeatmapElement } from './heatmap/heatmap.element.js';

/** The tag names this module registers, and their classes. */
export const ELEMENTS = {
  // The explainer first: when the page already holds the markup, it must provide context before
  // its children upgrade and ask for it.
  'bagnet-explainer': BagNetExplainerElement,
  'bagnet-heatmap': BagNetHeatmapElement,
  'patch-gallery': PatchGalleryElement,
  'evidence-bar': EvidenceBarElement,
  'patch-certificate': PatchCertificateElement,
} as const;

/**
 * Defines `tag` as `ctor` unless it is already defined: silently when by the same class, with a
 * warning when by another (e.g. a second copy of this package).
 */
export function defineElement(tag: string, ctor: CustomElementConstructor & { version?: string }): void {
  if (typeof customElements === 'undefined') return; // Node / SSR without a DOM
  const existing = customElements.get(tag) as (CustomElementConstructor & { version?: string }) | undefined;
  if (existing === undefined) {
    customElements.define(tag, ctor);
    return;
  }
  if (existing === ctor) return;
  console.warn(
    `<${tag}> is already defined by another class (version ${existing.version ?? 'unknown'}); ` +
      `this copy of @bagnet-vis/elements (version ${ctor.version ?? 'unknown'}) keeps that definition. ` +
      'Load the package once, or register this copy under other tag names.',
  );
}

for (const [tag, ctor] of Object.entries(ELEMENTS)) defineElement(tag, ctor);
