import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import type { BagNetImageInput, EvidenceMap } from '@bagnet-vis/core';
import type { PatchGalleryElement } from '@bagnet-vis/elements';
import type { Args, Meta, StoryContext, StoryObj } from '@storybook/web-components-vite';

import { DEFAULT_MODEL, SAMPLES, SNEAKER } from './support/default-model.js';
import { elementIn, untilError, untilShown, untilStatus } from './support/element-states.js';
import { argTypesFor } from './support/manifest.js';
import { holdPendingRequests, PENDING } from './support/pending-requests.js';
import { syntheticEvidence, syntheticPicture } from './support/synthetic-evidence.js';

const TAG = 'patch-gallery';

const text = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : String(v));

/** `<patch-gallery>` with the story's attributes (args), properties (loaded) and event actions. */
function renderGallery(args: Args, { loaded }: StoryContext): TemplateResult {
  const props = loaded as { evidence?: EvidenceMap; image?: BagNetImageInput };
  return html`<patch-gallery
    style="max-width: 40rem"
    model-src=${ifDefined(text(args['model-src']))}
    src=${ifDefined(text(args['src']))}
    srcs=${ifDefined(text(args['srcs']))}
    class-index=${ifDefined(text(args['class-index']))}
    k=${ifDefined(text(args['k']))}
    show=${ifDefined(text(args['show']))}
    .evidence=${props.evidence}
    .image=${props.image}
    @input=${args['onInput']}
    @change=${args['onChange']}
    @bagnet-cell-hover=${args['onBagnetCellHover']}
    @bagnet-cell-select=${args['onBagnetCellSelect']}
    @bagnet-evidence=${args['onBagnetEvidence']}
    @bagnet-error=${args['onBagnetError']}
  ></patch-gallery>`;
}

const galleryIn = (canvasElement: HTMLElement) => elementIn<PatchGalleryElement>(canvasElement, TAG);

/** Waits until the gallery shows `k` tiles in a list and has stopped working. */
async function untilTiles(canvasElement: HTMLElement, k = 5): Promise<void> {
  const el = galleryIn(canvasElement);
  await untilShown(
    el,
    () =>
      Math.max(el.tiles.most.length, el.tiles.least.length) === k &&
      el.shadowRoot?.querySelector('[part="status"]') === null,
    `shows ${k} tiles`,
  );
}

const meta = {
  title: 'Elements/patch-gallery',
  component: TAG,
  tags: ['autodocs'],
  render: renderGallery,
  argTypes: argTypesFor(TAG, { show: ['both', 'most', 'least'] }),
  args: { 'model-src': DEFAULT_MODEL, src: SAMPLES.ankleBoot },
} satisfies Meta;

export default meta;
type Story = StoryObj;

/**
 * The patches with the most and the least evidence for the top class, each cropped at its
 * receptive field (13 × 13 px here), with its logit and share of the class's evidence.
 */
export const FromAttributes: Story = {
  name: 'From attributes (model-src + src)',
  play: async ({ canvasElement }) => untilTiles(canvasElement),
};

/**
 * Across a set of images (`srcs`): the most informative patches of a class over all of them, as
 * in the paper's figure. One image is evaluated at a time; only the top k crops are kept.
 */
export const AcrossImages: Story = {
  name: 'Across a set of images (srcs)',
  args: {
    src: undefined,
    srcs: [
      SAMPLES.sneaker,
      SAMPLES.sneaker2,
      SAMPLES.sneaker3,
      SAMPLES.sneaker4,
      SAMPLES.sandal,
      SAMPLES.ankleBoot,
    ].join(' '),
    'class-index': SNEAKER,
    k: 6,
    show: 'most',
  },
  play: async ({ canvasElement }) => untilTiles(canvasElement, 6),
};

/** A precomputed `.evidence` map and its `.image`. */
export const Precomputed: Story = {
  name: 'Precomputed evidence (.evidence + .image)',
  args: { 'model-src': undefined, src: undefined, k: 4 },
  loaders: [async () => ({ evidence: syntheticEvidence(), image: syntheticPicture() })],
  play: async ({ canvasElement }) => untilTiles(canvasElement, 4),
};

/** While the model loads (this model URL never answers). */
export const Loading: Story = {
  name: 'Loading',
  args: { 'model-src': `${PENDING}model.json` },
  beforeEach: () => holdPendingRequests(),
  play: async ({ canvasElement }) => untilStatus(galleryIn(canvasElement), /Loading/),
};

/** A model URL that answers 404. */
export const ModelNotFound: Story = {
  name: 'Error: model not found (404)',
  tags: ['expect-404'],
  args: { 'model-src': 'models/missing/model.json' },
  play: async ({ canvasElement }) => untilError(galleryIn(canvasElement), /404|not found|could not/i),
};
