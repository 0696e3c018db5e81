import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import type { EvidenceMap, BagNetImageInput } from '@bagnet-vis/core';
import { DIVERGING_COLORMAPS, SEQUENTIAL_COLORMAPS } from '@bagnet-vis/elements';
import type { BagNetHeatmapElement, CellRef } from '@bagnet-vis/elements';
import type { Args, Meta, StoryContext, StoryObj } from '@storybook/web-components-vite';

import { DEFAULT_MODEL, SAMPLES } from './support/default-model.js';
import { elementIn, untilError, untilShown, untilStatus } from './support/element-states.js';
import { argTypesFor, declarationOf } from './support/manifest.js';
import { holdPendingRequests, PENDING } from './support/pending-requests.js';
import { syntheticEvidence, syntheticPicture } from './support/synthetic-evidence.js';

const TAG = 'bagnet-heatmap';

/** Properties a story may pass (from its loaders): the JavaScript-only inputs. */
interface HeatmapProps {
  readonly evidence?: EvidenceMap;
  readonly image?: BagNetImageInput;
  readonly selectedCell?: CellRef | null;
  readonly highlight?: CellRef | null;
}

const text = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : String(v));

/** `<bagnet-heatmap>` with the story's attributes (args), properties (loaded) and event actions. */
function renderHeatmap(args: Args, { loaded }: StoryContext): TemplateResult {
  const props = loaded as HeatmapProps;
  return html`<bagnet-heatmap
    style="max-width: 24rem"
    model-src=${ifDefined(text(args['model-src']))}
    src=${ifDefined(text(args['src']))}
    class-index=${ifDefined(text(args['class-index']))}
    colormap=${ifDefined(text(args['colormap']))}
    clip-percentile=${ifDefined(text(args['clip-percentile']))}
    opacity=${ifDefined(text(args['opacity']))}
    sign=${ifDefined(text(args['sign']))}
    threshold=${ifDefined(text(args['threshold']))}
    resolution=${ifDefined(text(args['resolution']))}
    ?outline=${args['outline'] === true}
    .evidence=${props.evidence}
    .image=${props.image}
    .selectedCell=${props.selectedCell ?? null}
    .highlight=${props.highlight ?? null}
    @input=${args['onInput']}
    @change=${args['onChange']}
    @bagnet-cell-hover=${args['onBagnetCellHover']}
    @bagnet-cell-select=${args['onBagnetCellSelect']}
    @bagnet-evidence=${args['onBagnetEvidence']}
    @bagnet-error=${args['onBagnetError']}
  ></bagnet-heatmap>`;
}

const heatmapIn = (canvasElement: HTMLElement) => elementIn<BagNetHeatmapElement>(canvasElement, TAG);

/** Waits until the heatmap shows an evidence map. */
async function untilPainted(canvasElement: HTMLElement): Promise<void> {
  const el = heatmapIn(canvasElement);
  await untilShown(el, () => el.summary.startsWith('Evidence map for'), 'shows an evidence map');
}

const meta = {
  title: 'Elements/bagnet-heatmap',
  component: TAG,
  tags: ['autodocs'],
  render: renderHeatmap,
  argTypes: argTypesFor(TAG, {
    colormap: [...DIVERGING_COLORMAPS, ...SEQUENTIAL_COLORMAPS],
    sign: ['all', 'positive', 'negative'],
    resolution: ['cells', 'dense'],
  }),
  args: { 'model-src': DEFAULT_MODEL, src: SAMPLES.sneaker },
  parameters: {
    docs: { description: { component: declarationOf(TAG).description } },
  },
} satisfies Meta;

export default meta;
type Story = StoryObj;

/**
 * The HTML-only way in: a model URL and an image URL. Hover a cell to see its receptive field,
 * use the arrow keys, press Enter to select it.
 */
export const FromAttributes: Story = {
  name: 'From attributes (model-src + src)',
  play: async ({ canvasElement }) => untilPainted(canvasElement),
};

/** Another class of the same image: a new class never re-runs the model. */
export const AnotherClass: Story = {
  name: 'Evidence for another class (class-index)',
  args: { 'class-index': 9 },
  play: async ({ canvasElement }) => untilPainted(canvasElement),
};

/** A precomputed `.evidence` map and its `.image`: no model is loaded. */
export const Precomputed: Story = {
  name: 'Precomputed evidence (.evidence + .image)',
  args: { 'model-src': undefined, src: undefined, 'class-index': 0 },
  loaders: [async () => ({ evidence: syntheticEvidence(), image: syntheticPicture() })],
  play: async ({ canvasElement }) => untilPainted(canvasElement),
};

/** Colormap, sign, threshold and outline change the paint only. */
export const DisplayOptions: Story = {
  name: 'Display options',
  args: { colormap: 'PiYG', sign: 'positive', threshold: 0.2, outline: true, opacity: 0.9 },
  play: async ({ canvasElement }) => untilPainted(canvasElement),
};

/** The selected cell (`.selectedCell`) and a highlighted one (`.highlight`), with their receptive fields. */
export const ReceptiveField: Story = {
  name: 'Receptive field of a cell (.selectedCell, .highlight)',
  loaders: [async () => ({ selectedCell: { row: 2, col: 6 }, highlight: { row: 6, col: 1 } })],
  play: async ({ canvasElement }) => {
    await untilPainted(canvasElement);
    const el = heatmapIn(canvasElement);
    await untilShown(el, () => el.shadowRoot?.querySelector('[part="selection"]') !== null, 'shows the selection');
  },
};

/**
 * `resolution="dense"`: one value per pixel (the patch centred there, as the reference heatmap),
 * painted progressively at 8, 4, 2 and 1 px detail with a progress bar.
 */
export const Dense: Story = {
  name: 'Dense map, progressive',
  args: { resolution: 'dense' },
  play: async ({ canvasElement }) => {
    const el = heatmapIn(canvasElement);
    await untilShown(el, () => el.denseLevel?.isFinal === true, 'shows the final dense map');
  },
};

/** While the model loads (this model URL never answers). */
export const Loading: Story = {
  name: 'Loading',
  args: { 'model-src': `${PENDING}model.json` },
  beforeEach: () => holdPendingRequests(),
  play: async ({ canvasElement }) => untilStatus(heatmapIn(canvasElement), /Loading/),
};

/** A model URL that answers 404: the error is shown inline and fired as `bagnet-error` and `error`. */
export const ModelNotFound: Story = {
  name: 'Error: model not found (404)',
  tags: ['expect-404'],
  args: { 'model-src': 'models/missing/model.json' },
  play: async ({ canvasElement }) => untilError(heatmapIn(canvasElement), /404|not found|could not/i),
};

/** An image smaller than the receptive field (8×8 px < q = 13 px). */
export const ImageTooSmall: Story = {
  name: 'Error: image smaller than q',
  args: { src: undefined },
  loaders: [
    async () => {
      const tiny = document.createElement('canvas');
      tiny.width = 8;
      tiny.height = 8;
      return { image: tiny };
    },
  ],
  play: async ({ canvasElement }) => untilError(heatmapIn(canvasElement), /smaller than the model's receptive field/),
};

/** A colormap d3-scale-chromatic does not have: the default is painted, the error says which exist. */
export const UnknownColormap: Story = {
  name: 'Error: unknown colormap',
  args: { 'model-src': undefined, src: undefined, colormap: 'Rainbow' },
  loaders: [async () => ({ evidence: syntheticEvidence(), image: syntheticPicture() })],
  play: async ({ canvasElement }) => untilError(heatmapIn(canvasElement), /Rainbow/),
};

/** A class index the model does not have. */
export const ClassOutOfRange: Story = {
  name: 'Error: class-index out of range',
  args: { 'model-src': undefined, src: undefined, 'class-index': 7 },
  loaders: [async () => ({ evidence: syntheticEvidence(), image: syntheticPicture() })],
  play: async ({ canvasElement }) => untilError(heatmapIn(canvasElement), /7/),
};
