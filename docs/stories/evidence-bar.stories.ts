import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import type { EvidenceMap } from '@bagnet-vis/core';
import type { EvidenceBarElement } from '@bagnet-vis/elements';
import type { Args, Meta, StoryContext, StoryObj } from '@storybook/web-components-vite';

import { DEFAULT_MODEL, SAMPLES } from './support/default-model.js';
import { elementIn, untilError, untilShown, untilStatus } from './support/element-states.js';
import { argTypesFor } from './support/manifest.js';
import { holdPendingRequests, PENDING } from './support/pending-requests.js';
import { syntheticEvidence } from './support/synthetic-evidence.js';

const TAG = 'evidence-bar';

const text = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : String(v));

/** `<evidence-bar>` with the story's attributes (args), `.evidence` (loaded) and event actions. */
function renderBar(args: Args, { loaded }: StoryContext): TemplateResult {
  const { evidence } = loaded as { evidence?: EvidenceMap };
  return html`<evidence-bar
    style="max-width: 34rem"
    model-src=${ifDefined(text(args['model-src']))}
    src=${ifDefined(text(args['src']))}
    class-index=${ifDefined(text(args['class-index']))}
    k=${ifDefined(text(args['k']))}
    view=${ifDefined(text(args['view']))}
    ?show-probabilities=${args['show-probabilities'] === true}
    .evidence=${evidence}
    @input=${args['onInput']}
    @change=${args['onChange']}
    @bagnet-class-select=${args['onBagnetClassSelect']}
    @bagnet-evidence=${args['onBagnetEvidence']}
    @bagnet-error=${args['onBagnetError']}
  ></evidence-bar>`;
}

const barIn = (canvasElement: HTMLElement) => elementIn<EvidenceBarElement>(canvasElement, TAG);

async function untilBars(canvasElement: HTMLElement): Promise<void> {
  const el = barIn(canvasElement);
  await untilShown(el, () => el.rows.length > 0, 'shows class rows');
}

const meta = {
  title: 'Elements/evidence-bar',
  component: TAG,
  tags: ['autodocs'],
  render: renderBar,
  argTypes: argTypesFor(TAG, { view: ['both', 'classes', 'distribution'] }),
  args: { 'model-src': DEFAULT_MODEL, src: SAMPLES.sandal },
} satisfies Meta;

export default meta;
type Story = StoryObj;

/**
 * Each top class's logit split into the patches' evidence for it (right of zero), against it
 * (left) and the head bias; the net logit is marked. Below: how the selected class's evidence is
 * spread over the patches. Click a row or use the arrow keys to pick a class.
 */
export const FromAttributes: Story = {
  name: 'From attributes (model-src + src)',
  play: async ({ canvasElement }) => untilBars(canvasElement),
};

/** Softmax probabilities next to the logits, and more classes. */
export const Probabilities: Story = {
  name: 'Probabilities, top 8 (show-probabilities, k)',
  args: { 'show-probabilities': true, k: 8, src: SAMPLES.shirt },
  play: async ({ canvasElement }) => untilBars(canvasElement),
};

/** Only the distribution of one class's evidence over its patches. */
export const DistributionOnly: Story = {
  name: 'Distribution only (view="distribution")',
  args: { view: 'distribution', 'class-index': 5 },
  play: async ({ canvasElement }) => {
    const el = barIn(canvasElement);
    await untilShown(el, () => el.distribution !== undefined, 'shows the distribution');
  },
};

/** A precomputed `.evidence` map: no model, no image needed. */
export const Precomputed: Story = {
  name: 'Precomputed evidence (.evidence)',
  args: { 'model-src': undefined, src: undefined },
  loaders: [async () => ({ evidence: syntheticEvidence() })],
  play: async ({ canvasElement }) => untilBars(canvasElement),
};

/** While the model loads (this model URL never answers). */
export const Loading: Story = {
  name: 'Loading',
  args: { 'model-src': `${PENDING}model.json` },
  beforeEach: () => holdPendingRequests(),
  play: async ({ canvasElement }) => untilStatus(barIn(canvasElement), /Loading/),
};

/** An image URL that answers 404. */
export const ImageNotFound: Story = {
  name: 'Error: image not found (404)',
  tags: ['expect-404'],
  args: { src: 'models/samples/missing.png' },
  play: async ({ canvasElement }) => untilError(barIn(canvasElement), /missing\.png|image/i),
};

/** A class index the model does not have (the default model has 10 classes). */
export const ClassOutOfRange: Story = {
  name: 'Error: class-index out of range',
  args: { 'class-index': 12 },
  play: async ({ canvasElement }) => untilError(barIn(canvasElement), /12/),
};
