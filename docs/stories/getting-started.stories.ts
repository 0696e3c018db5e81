import { html } from 'lit';
import type { BagNetExplainerElement, BagNetHeatmapElement } from '@bagnet-vis/elements';
import type { Meta, StoryObj } from '@storybook/web-components-vite';

import { DEFAULT_MODEL, SAMPLES } from './support/default-model.js';
import { code, page } from './support/docs-page.js';
import { elementIn, untilShown } from './support/element-states.js';

/** Published file names, as demos/cdn/ and demos/observable/ use them (keep the three in step). */
const VERSION = '0.1.0';
const TFJS = '4.22.0';
const JSDELIVR = 'https://cdn.jsdelivr.net/npm';
const MODEL_URL = `${JSDELIVR}/@bagnet-vis/models@${VERSION}/default/model.json`;
const IMAGE_URL = `${JSDELIVR}/@bagnet-vis/models@${VERSION}/samples/test-00034-bag.png`;

const REPO = `
npm start   # installs on first run, then serves the demo at http://localhost:8080/
npm test    # installs on first run (and Debian's chromium when missing), then runs every test
npm run docs        # this site, built into docs/storybook-static/
npm run docs:dev    # this site with live reload at http://localhost:6006/
`;

const NPM = `
npm install @bagnet-vis/elements @bagnet-vis/core @bagnet-vis/models \\
  @tensorflow/tfjs-core @tensorflow/tfjs-layers @tensorflow/tfjs-backend-webgl
`;

const NPM_USE = `
import '@tensorflow/tfjs-backend-webgl';
import '@bagnet-vis/elements/define.js'; // registers the four tags
import { defaultModelUrl, sampleImages } from '@bagnet-vis/models';

const explainer = document.createElement('bagnet-explainer');
explainer.setAttribute('model-src', defaultModelUrl.href);
explainer.setAttribute('src', sampleImages[0].url.href);
document.body.append(explainer);
`;

const CDN = `
<script type="importmap">
  {
    "imports": {
      "@tensorflow/tfjs-core": "${JSDELIVR}/@tensorflow/tfjs-core@${TFJS}/dist/tf-core.fesm.min.js",
      "@tensorflow/tfjs-layers": "${JSDELIVR}/@tensorflow/tfjs-layers@${TFJS}/dist/tf-layers.fesm.min.js",
      "@tensorflow/tfjs-backend-webgl": "${JSDELIVR}/@tensorflow/tfjs-backend-webgl@${TFJS}/dist/tf-backend-webgl.fesm.min.js",
      "@bagnet-vis/core": "${JSDELIVR}/@bagnet-vis/core@${VERSION}/cdn/core.js",
      "@bagnet-vis/elements": "${JSDELIVR}/@bagnet-vis/elements@${VERSION}/cdn/elements.js"
    }
  }
</script>
<script type="module">
  import '@tensorflow/tfjs-backend-webgl';
  import '@bagnet-vis/elements'; // the CDN bundle registers the four tags
</script>

<bagnet-explainer
  model-src="${MODEL_URL}"
  src="${IMAGE_URL}"
></bagnet-explainer>
`;

const UMD = `
<script src="${JSDELIVR}/@tensorflow/tfjs-core@${TFJS}/dist/tf-core.min.js"></script>
<script src="${JSDELIVR}/@tensorflow/tfjs-layers@${TFJS}/dist/tf-layers.min.js"></script>
<script src="${JSDELIVR}/@tensorflow/tfjs-backend-webgl@${TFJS}/dist/tf-backend-webgl.min.js"></script>
<script src="${JSDELIVR}/@bagnet-vis/elements@${VERSION}/cdn/elements.umd.js"></script>
<!-- global bagnetVis: core, elements and the tfjs-vis integration; the tags are registered -->
`;

const PROPERTIES = `
import { loadBagNet, pickBestBackend } from '@bagnet-vis/core';

await pickBestBackend();                     // the fastest here; software-rendered GPUs passed over
const model = await loadBagNet(modelUrl);    // yours to dispose
const image = document.querySelector('img');

const heatmap = document.querySelector('bagnet-heatmap');
heatmap.model = model;                       // one run, shared by every view given the same model
heatmap.image = image;
heatmap.addEventListener('bagnet-cell-select', (e) => console.log(e.detail)); // {row, col, logit, rect, …}

// Or compute once and hand the result to any view (no model needed by the view):
const evidence = await model.evidence(image); // yours to dispose
document.querySelector('evidence-bar').evidence = evidence;
`;

const TFJS_VIS = `
import * as tfvis from '@tensorflow/tfjs-vis';
import { render, show } from '@bagnet-vis/tfjs-vis';
import { loadBagNet } from '@bagnet-vis/core';

const model = await loadBagNet(modelUrl);
const evidence = await model.evidence(image);

// Anything tfjs-vis draws into: an HTMLElement, a visor Surface, or {name, tab}.
const surface = tfvis.visor().surface({ name: 'Evidence', tab: 'BagNet' });
await render.heatmap(surface, evidence, { image, outline: true });      // a <bagnet-heatmap>
await render.evidenceBar({ name: 'Logits', tab: 'BagNet' }, evidence);  // an <evidence-bar>
await render.patchGallery({ name: 'Patches', tab: 'BagNet' }, evidence, { image });

// Runs the model and links heatmap, bars and gallery (beside tfvis.show.modelSummary):
await show.explain({ name: 'Explain', tab: 'BagNet' }, model, image);
await tfvis.show.modelSummary({ name: 'Summary', tab: 'BagNet' }, model.logitModel);
// A second call with the same surface updates the same elements (e.g. once per epoch).
`;

const OBSERVABLE = `
// Notebook cells. The UMD bundle (global bagnetVis) with tfjs from the tfjs union package:
bagnetVis = require.alias({
  "@tensorflow/tfjs-core": "@tensorflow/tfjs@${TFJS}",
  "@tensorflow/tfjs-layers": "@tensorflow/tfjs@${TFJS}"
})("@bagnet-vis/elements@${VERSION}/cdn/elements.umd.js")

modelUrl = "${MODEL_URL}"

// The elements are inputs: .value plus input/change events, so viewof works.
viewof cell = html\`<bagnet-heatmap model-src=\${modelUrl} src=\${imageUrl}></bagnet-heatmap>\`

cell  // the hovered / selected cell: {row, col, classIndex, logit, contribution, rect} or null

viewof classIndex = html\`<evidence-bar model-src=\${modelUrl} src=\${imageUrl} k="5"></evidence-bar>\`
`;

const meta = {
  title: 'Docs/Getting started',
  parameters: { controls: { disable: true }, actions: { disable: true }, layout: 'padded' },
} satisfies Meta;

export default meta;

/** How to run, install and embed bagnet-vis: from this repository, npm, a CDN, tfjs-vis and Observable. */
export const GettingStarted: StoryObj = {
  name: 'Getting started',
  render: () =>
    page(html`
      <h1>Getting started</h1>
      <p class="docs-lead">
        bagnet-vis runs BagNets (Brendel &amp; Bethge, ICLR 2019) in TensorFlow.js and shows their exact local evidence
        with four web components: <code>&lt;bagnet-heatmap&gt;</code>, <code>&lt;patch-gallery&gt;</code>,
        <code>&lt;evidence-bar&gt;</code> and <code>&lt;bagnet-explainer&gt;</code>, which links the other three.
      </p>

      <h2>From this repository</h2>
      <p>Node 20 and npm on Debian; the first run installs what is missing.</p>
      ${code('sh', REPO)}

      <h2>Three tags, no build step (CDN)</h2>
      <p>
        An import map says where tfjs and the bagnet-vis bundles are; tfjs stays outside the bundles (two copies of tfjs
        break tensors), so the page picks its version and backend. The default model (11&nbsp;×&nbsp;11&nbsp;px patches,
        trained on Fashion-MNIST) and its sample images ship in <code>@bagnet-vis/models</code>.
      </p>
      ${code('html', CDN)}
      <p>The same markup, running on this site's copy of the model:</p>
      <bagnet-explainer id="live" model-src=${DEFAULT_MODEL} src=${SAMPLES.bag}></bagnet-explainer>
      <p>Or with classic script tags (UMD builds; no modules):</p>
      ${code('html', UMD)}

      <h2>From npm, with a bundler</h2>
      ${code('sh', NPM)} ${code('js', NPM_USE)}
      <p>
        In a framework, pass objects as properties: <code>.model</code> (a loaded BagNet), <code>.image</code> (any
        image source) or <code>.evidence</code> (a precomputed map). Listen to <code>input</code> /
        <code>change</code> (with <code>.value</code>) or to the typed <code>bagnet-*</code> events.
      </p>
      ${code('js', PROPERTIES)}

      <h2>In tfjs-vis</h2>
      <p>
        <code>@bagnet-vis/tfjs-vis</code> draws the views into tfjs-vis's visor in its own style:
        <code>render.*</code> take an evidence map, <code>show.explain</code> takes a model and an image. tfjs-vis is an
        optional peer dependency (<code>npm install @tensorflow/tfjs-vis</code>).
      </p>
      ${code('js', TFJS_VIS)}

      <h2>In an Observable notebook</h2>
      ${code('js', OBSERVABLE)}
      <p>
        Observable Framework: <code>import "npm:@bagnet-vis/elements@${VERSION}/cdn/elements.js"</code> and
        <code>view(html\`&lt;bagnet-heatmap …&gt;\`)</code>; see <code>demos/observable/</code>.
      </p>

      <h2>Next</h2>
      <p>
        <em>The science</em> explains what the views show; the <em>Elements</em> stories show every element and state,
        with controls; <em>API</em> links the reference of every package.
      </p>
    `),
  play: async ({ canvasElement }) => {
    const explainer = elementIn<BagNetExplainerElement>(canvasElement, '#live');
    await untilShown(
      explainer,
      () =>
        explainer.shadowRoot?.querySelector<BagNetHeatmapElement>('bagnet-heatmap')?.summary.startsWith('Evidence') ??
        false,
      'explains the sample',
    );
  },
};
