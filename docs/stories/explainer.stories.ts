import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import type { BagNetExplainerElement, BagNetHeatmapElement, EvidenceBarElement } from '@bagnet-vis/elements';
import type { Args, Meta, StoryObj } from '@storybook/web-components-vite';
import { expect, waitFor } from 'storybook/test';

import { DEFAULT_MODEL, SAMPLES } from './support/default-model.js';
import { elementIn, untilError, untilShown, untilStatus } from './support/element-states.js';
import { argTypesFor } from './support/manifest.js';
import { holdPendingRequests, PENDING } from './support/pending-requests.js';

const TAG = 'bagnet-explainer';

const text = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : String(v));

/** `<bagnet-explainer>` with the story's attributes, event actions and optional children. */
function renderExplainer(args: Args, children: TemplateResult | string = ''): TemplateResult {
  return html`<bagnet-explainer
    style="max-width: 60rem"
    model-src=${ifDefined(text(args['model-src']))}
    src=${ifDefined(text(args['src']))}
    class-index=${ifDefined(text(args['class-index']))}
    @bagnet-evidence=${args['onBagnetEvidence']}
    @bagnet-error=${args['onBagnetError']}
    >${children}</bagnet-explainer
  >`;
}

const explainerIn = (canvasElement: HTMLElement) => elementIn<BagNetExplainerElement>(canvasElement, TAG);

/** Waits until the explainer has its evidence and `heatmap` (inside it) has painted it. */
async function untilExplained(canvasElement: HTMLElement, heatmap: () => BagNetHeatmapElement | null | undefined) {
  const el = explainerIn(canvasElement);
  await untilShown(
    el,
    () => el.explanation.status === 'ready' && (heatmap()?.summary.startsWith('Evidence map for') ?? false),
    'explains the image',
  );
}

const meta = {
  title: 'Elements/bagnet-explainer',
  component: TAG,
  tags: ['autodocs'],
  render: (args) => renderExplainer(args),
  argTypes: argTypesFor(TAG),
  args: { 'model-src': DEFAULT_MODEL, src: SAMPLES.bag },
} satisfies Meta;

export default meta;
type Story = StoryObj;

/**
 * Without children: a heatmap, evidence bars and a patch gallery over one model run. Hover a cell:
 * the gallery and the bars' distribution follow; pick a class in the bars: the heatmap and
 * gallery show it.
 */
export const DefaultViews: Story = {
  name: 'Default views (model-src + src)',
  play: async ({ canvasElement }) => {
    const el = explainerIn(canvasElement);
    await untilExplained(canvasElement, () => el.shadowRoot?.querySelector('bagnet-heatmap'));
  },
};

/**
 * Your own layout: any `<bagnet-heatmap>`, `<evidence-bar>` and `<patch-gallery>` inside share the
 * explainer's run and are linked. Here the play function picks the second class in the bars and
 * waits for the heatmap to follow.
 */
export const LinkedLayout: Story = {
  name: 'Linked views in your own layout',
  args: { src: SAMPLES.shirt },
  render: (args) =>
    renderExplainer(
      args,
      html`<div style="display: grid; grid-template-columns: minmax(12rem, 20rem) 1fr; gap: 1.5rem; align-items: start">
        <bagnet-heatmap></bagnet-heatmap>
        <div>
          <evidence-bar k="4"></evidence-bar>
          <patch-gallery k="4" show="most"></patch-gallery>
        </div>
      </div>`,
    ),
  play: async ({ canvasElement }) => {
    const heatmap = elementIn<BagNetHeatmapElement>(canvasElement, 'bagnet-heatmap');
    await untilExplained(canvasElement, () => heatmap);
    const bar = elementIn<EvidenceBarElement>(canvasElement, 'evidence-bar');
    const second = bar.rows[1]!;
    bar.shadowRoot!.querySelector<HTMLElement>(`[part~="row"][data-class="${second.classIndex}"]`)!.click();
    await waitFor(() => expect(heatmap.summary).toContain(`“${second.label}”`), { timeout: 10_000 });
  },
};

/** Another image replaces the run in progress (the latest wins); the model is loaded once. */
export const SwitchingImages: Story = {
  name: 'Switching images',
  render: (args) => {
    const pick = (src: string) => (e: Event) => {
      const explainer = (e.target as HTMLElement).closest('div')!.nextElementSibling as BagNetExplainerElement;
      explainer.src = src;
    };
    return html`<div style="display: flex; gap: 0.5rem; margin-bottom: 1rem">
        ${Object.entries({
          Bag: SAMPLES.bag,
          Trouser: SAMPLES.trouser,
          Coat: SAMPLES.coat,
          Sneaker: SAMPLES.sneaker,
        }).map(([name, src]) => html`<button type="button" @click=${pick(src)}>${name}</button>`)}
      </div>
      ${renderExplainer(args)}`;
  },
  play: async ({ canvasElement }) => {
    const el = explainerIn(canvasElement);
    const buttons = canvasElement.querySelectorAll('button');
    buttons[1]!.click();
    buttons[2]!.click(); // before the first run finished: it is cancelled
    await untilExplained(canvasElement, () => el.shadowRoot?.querySelector('bagnet-heatmap'));
    await waitFor(() => expect(el.src).toBe(SAMPLES.coat));
  },
};

/** While the model loads (this model URL never answers). */
export const Loading: Story = {
  name: 'Loading',
  args: { 'model-src': `${PENDING}model.json` },
  beforeEach: () => holdPendingRequests(),
  play: async ({ canvasElement }) => untilStatus(explainerIn(canvasElement), /Loading/),
};

/** A model URL that answers 404: the explainer shows the error once, for all its views. */
export const ModelNotFound: Story = {
  name: 'Error: model not found (404)',
  tags: ['expect-404'],
  args: { 'model-src': 'models/missing/model.json' },
  play: async ({ canvasElement }) => untilError(explainerIn(canvasElement), /404|not found|could not/i),
};
