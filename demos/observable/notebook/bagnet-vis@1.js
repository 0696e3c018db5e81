// BagNet evidence with viewof — https://observablehq.com/@bagnet-vis/bagnet-vis@1
// An Observable notebook in the layout of Observable's “Download code” export: this module's
// default export defines the notebook's cells on an @observablehq/runtime (see index.html).
function _1(md) {
  return md`
# BagNet evidence, cell by cell

A [BagNet](https://openreview.net/forum?id=SkfMWhAqYQ) (Brendel & Bethge, ICLR 2019) scores every small patch of an image on its own and averages the patch scores into the image's logits — so its decision is _exactly_ a sum of local evidence. Here the default model of \`@bagnet-vis/models\` (11 × 11 px patches, trained on Fashion-MNIST) explains a test image with the \`@bagnet-vis/elements\` web components.

\`<bagnet-heatmap>\` and \`<evidence-bar>\` are Observable inputs: their \`.value\` (the hovered cell; the picked class) and their \`input\` events make \`viewof\` work, so the hovered patch and the picked class drive the cells below.
  `;
}

function _loader(Inputs) {
  return Inputs.radio(['require (UMD)', 'import (ESM)'], { label: 'Load @bagnet-vis with', value: 'require (UMD)' });
}

async function _bagnetVis(loader, require) {
  if (loader === 'import (ESM)') {
    // The ESM bundle keeps tfjs and @bagnet-vis/core external; jsDelivr's /+esm rewrites those
    // imports to its ESM builds of the same versions, so tfjs is loaded once, with its WebGL backend.
    await import('https://cdn.jsdelivr.net/npm/@tensorflow/tfjs-backend-webgl@4.22.0/+esm');
    return import('https://cdn.jsdelivr.net/npm/@bagnet-vis/elements@0.1.0/cdn/elements.js/+esm');
  }
  // The UMD bundle (global bagnetVis: core, elements and the tfjs-vis integration) asks for tfjs as
  // AMD dependencies: alias both to tfjs's own UMD build, one copy for the page (backends included).
  return require.alias({
    '@tensorflow/tfjs-core': '@tensorflow/tfjs@4.22.0',
    '@tensorflow/tfjs-layers': '@tensorflow/tfjs@4.22.0',
  })('@bagnet-vis/elements@0.1.0/cdn/elements.umd.js');
}

function _modelUrl() {
  return 'https://cdn.jsdelivr.net/npm/@bagnet-vis/models@0.1.0/default/model.json';
}

function _labels() {
  return ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
}

function _samples() {
  return [
    { file: 'test-05732-t-shirt-top.png', label: 'T-shirt/top' },
    { file: 'test-00041-trouser.png', label: 'Trouser' },
    { file: 'test-01127-pullover.png', label: 'Pullover' },
    { file: 'test-04496-dress.png', label: 'Dress' },
    { file: 'test-03220-coat.png', label: 'Coat' },
    { file: 'test-00445-sandal.png', label: 'Sandal' },
    { file: 'test-04518-shirt.png', label: 'Shirt' },
    { file: 'test-00102-sneaker.png', label: 'Sneaker' },
    { file: 'test-00034-bag.png', label: 'Bag' },
    { file: 'test-01982-ankle-boot.png', label: 'Ankle boot' },
  ];
}

function _sample(Inputs, samples) {
  return Inputs.select(samples, { label: 'Test image', format: (d) => d.label, value: samples[8] });
}

function _imageUrl(sample, modelUrl) {
  return new URL(`../samples/${sample.file}`, modelUrl).href;
}

function _8(md) {
  return md`
## The classes: \`viewof classIndex\`

Each bar splits a class's logit into the patches' evidence for it (red), against it (blue) and the head's bias. Click a class (or use the arrow keys): \`classIndex\` is its index.
  `;
}

function _classIndex(bagnetVis, html, modelUrl, imageUrl) {
  // This cell runs once the package has loaded: loading it defines the tags.
  if (!bagnetVis) throw new Error('@bagnet-vis/elements did not load');
  return html`<evidence-bar model-src="${modelUrl}" src="${imageUrl}" k="5" show-probabilities></evidence-bar>`;
}

function _10(md) {
  return md`
## The patches: \`viewof cell\`

Red: evidence for the class, blue: against. Hover over a cell, or focus the map and move with the arrow keys: \`cell\` is the active cell — its row, column, receptive field (\`rect\`) and evidence.
  `;
}

function _cell(bagnetVis, html, modelUrl, imageUrl) {
  if (!bagnetVis) throw new Error('@bagnet-vis/elements did not load');
  return html`<bagnet-heatmap model-src="${modelUrl}" src="${imageUrl}" style="max-width: 360px"></bagnet-heatmap>`;
}

function _12($0, classIndex) {
  // Linked: the heatmap shows the class picked in the bars (both elements share one model run).
  $0.classIndex = classIndex ?? undefined;
}

function _image(imageUrl) {
  const image = new Image();
  image.crossOrigin = 'anonymous';
  image.src = imageUrl;
  return image.decode().then(() => image);
}

function _patch(html, cell, image) {
  const canvas = html`<canvas
    width="88"
    height="88"
    style="image-rendering: pixelated; border: 1px solid #d0d7de"
  ></canvas>`;
  if (cell !== null) {
    const context = canvas.getContext('2d');
    context.imageSmoothingEnabled = false;
    const { x, y, width, height } = cell.rect;
    context.drawImage(image, x, y, width, height, 0, 0, canvas.width, canvas.height);
  }
  return canvas;
}

function _15(md, cell, labels) {
  return md`${
    cell === null
      ? '*Hover over the heatmap, or focus it and use the arrow keys, to inspect a patch.*'
      : `**Row ${cell.row + 1}, column ${cell.col + 1}**: the ${cell.rect.width} × ${cell.rect.height} px patch at (${cell.rect.x}, ${cell.rect.y}) has a logit of **${cell.logit.toFixed(2)}** for “${labels[cell.classIndex]}”, and adds ${cell.contribution >= 0 ? '+' : '−'}${Math.abs(cell.contribution).toFixed(3)} to the image's logit.`
  }`;
}

export default function define(runtime, observer) {
  const main = runtime.module();
  main.variable(observer()).define(['md'], _1);
  main.variable(observer('viewof loader')).define('viewof loader', ['Inputs'], _loader);
  main.variable(observer('loader')).define('loader', ['Generators', 'viewof loader'], (G, _) => G.input(_));
  main.variable(observer('bagnetVis')).define('bagnetVis', ['loader', 'require'], _bagnetVis);
  main.variable(observer('modelUrl')).define('modelUrl', _modelUrl);
  main.variable(observer('labels')).define('labels', _labels);
  main.variable(observer('samples')).define('samples', _samples);
  main.variable(observer('viewof sample')).define('viewof sample', ['Inputs', 'samples'], _sample);
  main.variable(observer('sample')).define('sample', ['Generators', 'viewof sample'], (G, _) => G.input(_));
  main.variable(observer('imageUrl')).define('imageUrl', ['sample', 'modelUrl'], _imageUrl);
  main.variable(observer()).define(['md'], _8);
  main
    .variable(observer('viewof classIndex'))
    .define('viewof classIndex', ['bagnetVis', 'html', 'modelUrl', 'imageUrl'], _classIndex);
  main.variable(observer('classIndex')).define('classIndex', ['Generators', 'viewof classIndex'], (G, _) => G.input(_));
  main.variable(observer()).define(['md'], _10);
  main.variable(observer('viewof cell')).define('viewof cell', ['bagnetVis', 'html', 'modelUrl', 'imageUrl'], _cell);
  main.variable(observer('cell')).define('cell', ['Generators', 'viewof cell'], (G, _) => G.input(_));
  main.variable(observer()).define(['viewof cell', 'classIndex'], _12);
  main.variable(observer('image')).define('image', ['imageUrl'], _image);
  main.variable(observer('patch')).define('patch', ['html', 'cell', 'image'], _patch);
  main.variable(observer()).define(['md', 'cell', 'labels'], _15);
  return main;
}
