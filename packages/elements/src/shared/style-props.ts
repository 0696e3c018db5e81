/**
 * `styleProps`: lit's `styleMap`, but always through the CSSOM. lit's `styleMap` writes a `style`
 * attribute on the first render, which a Content-Security-Policy without `'unsafe-inline'` for
 * styles blocks (and reports): overlays, boxes and bars then lose their positions. Setting
 * properties on `element.style` is not inline style and is always allowed.
 */
import { noChange } from 'lit';
import { Directive, directive, PartType } from 'lit/directive.js';
import type { AttributePart, DirectiveResult, PartInfo } from 'lit/directive.js';

/** CSS properties by name: camelCase (`aspectRatio`) or dash-case / custom (`--x`); null/undefined unsets. */
export type StyleProps = Readonly<Record<string, string | null | undefined>>;

const dashCase = (name: string) =>
  name.includes('-') ? name : name.replace(/(?:^(webkit|moz|ms|o)|)(?=[A-Z])/g, '-$&').toLowerCase();

class StylePropsDirective extends Directive {
  #set = new Set<string>();

  constructor(part: PartInfo) {
    super(part);
    if (part.type !== PartType.ATTRIBUTE || part.name !== 'style' || (part.strings?.length ?? 0) > 2) {
      throw new Error('styleProps() must be the whole value of a `style` attribute binding.');
    }
  }

  render(_props: StyleProps): typeof noChange {
    return noChange;
  }

  override update(part: AttributePart, [props]: [StyleProps]): typeof noChange {
    const { style } = part.element as HTMLElement;
    const next = new Set<string>();
    for (const [name, value] of Object.entries(props)) {
      if (value === null || value === undefined) continue;
      const prop = dashCase(name);
      next.add(prop);
      if (style.getPropertyValue(prop) !== value) style.setProperty(prop, value);
    }
    for (const prop of this.#set) if (!next.has(prop)) style.removeProperty(prop);
    this.#set = next;
    return noChange;
  }
}

/** Sets the CSS properties of the element it is bound to (`style=${styleProps({...})}`). */
export const styleProps: (props: StyleProps) => DirectiveResult<typeof StylePropsDirective> =
  directive(StylePropsDirective);
