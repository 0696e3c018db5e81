import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import type { EvidenceMap } from '@bagnet-vis/core';
import type { BagNetHeatmapElement, PatchCertificateElement } from '@bagnet-vis/elements';
import type { Args, Meta, StoryContext, StoryObj } from '@storybook/web-components-vite';

import { DEFAULT_MODEL, SAMPLES } from './support/default-model.js';
import { elementIn, untilError, untilShown } from './support/element-states.js';
import { argTypesFor } from './support/manifest.js';
import { syntheticEvidence } from './support/synthetic-evidence.js';

const TAG = 'patch-certificate';

const text = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : String(v));

/** `<patch-certificate>` with the story's attributes (args), `.evidence` (loaded) and event actions. */
function renderCertificate(args: Args, { loaded }: StoryContext): TemplateResult {
  const { evidence } = loaded as { evidence?: EvidenceMap };
  return html`<patch-certificate
    style="max-width: 40rem"
    model-src=${ifDefined(text(args['model-src']))}
    src=${ifDefined(text(args['src']))}
    patch-px=${ifDefined(text(args['patch-px']))}
    method=${ifDefined(text(args['method']))}
    threshold=${ifDefined(text(args['threshold']))}
    .evidence=${evidence}
    @input=${args['onInput']}
    @change=${args['onChange']}
    @bagnet-certificate=${args['onBagnetCertificate']}
    @bagnet-error=${args['onBagnetError']}
  ></patch-certificate>`;
}

const certificateIn = (canvasElement: HTMLElement) => elementIn<PatchCertificateElement>(canvasElement, TAG);

async function untilCertified(canvasElement: HTMLElement): Promise<void> {
  const el = certificateIn(canvasElement);
  await untilShown(el, () => el.value !== null, 'shows a certificate');
}

const meta = {
  title: 'Elements/patch-certificate',
  component: TAG,
  tags: ['autodocs'],
  render: renderCertificate,
  argTypes: argTypesFor(TAG, { method: ['mask', 'clip'] }),
  args: { 'model-src': DEFAULT_MODEL, src: SAMPLES.sneaker, 'patch-px': 2 },
} satisfies Meta;

export default meta;
type Story = StoryObj;

/**
 * Can an adversarial patch of this size, anywhere in the image, change the prediction? A patch
 * changes only the cells whose receptive field it touches, so robust masking (PatchGuard) bounds
 * every other class's evidence from the map alone. Move the slider to change the patch size.
 */
export const FromAttributes: Story = {
  name: 'Robust masking (model-src + src)',
  play: async ({ canvasElement }) => untilCertified(canvasElement),
};

/** Clipped BagNet: every patch logit through tanh(0.05 x − 1), so one window can only add so much. */
export const Clipping: Story = {
  name: 'Clipped BagNet (method="clip")',
  args: { method: 'clip', 'patch-px': 1 },
  play: async ({ canvasElement }) => untilCertified(canvasElement),
};

/** A precomputed `.evidence` map: no model, no image needed. */
export const Precomputed: Story = {
  name: 'Precomputed evidence (.evidence)',
  args: { 'model-src': undefined, src: undefined, 'patch-px': 1 },
  loaders: [async () => ({ evidence: syntheticEvidence() })],
  play: async ({ canvasElement }) => untilCertified(canvasElement),
};

/**
 * Inside `<bagnet-explainer>`: the heatmap outlines the worst-case window of the certificate
 * (dashed: not certified, dotted: certified).
 */
export const WithHeatmap: Story = {
  name: 'Worst window on a linked heatmap',
  render: (args) =>
    html`<bagnet-explainer model-src=${DEFAULT_MODEL} src=${SAMPLES.bag}>
      <div style="display: grid; grid-template-columns: minmax(12rem, 18rem) 1fr; gap: 1.5rem; align-items: start">
        <bagnet-heatmap></bagnet-heatmap>
        <patch-certificate patch-px=${ifDefined(text(args['patch-px']))}></patch-certificate>
      </div>
    </bagnet-explainer>`,
  play: async ({ canvasElement }) => {
    const heatmap = elementIn<BagNetHeatmapElement>(canvasElement, 'bagnet-heatmap');
    await untilShown(
      heatmap,
      () => heatmap.shadowRoot?.querySelector('[part="patch-window"]') !== null,
      'draws the worst window',
    );
  },
};

/** A patch size that is not a whole number of pixels. */
export const BadPatchSize: Story = {
  name: 'Error: patch-px not a whole number',
  args: { 'patch-px': 'big' },
  play: async ({ canvasElement }) => untilError(certificateIn(canvasElement), /patch-px/),
};
