import { html, render, svg } from 'lit';
import type { SVGTemplateResult, TemplateResult } from 'lit';
import type { BagNetHeatmapElement, CellRef } from '@bagnet-vis/elements';
import type { Meta, StoryContext, StoryObj } from '@storybook/web-components-vite';
import { expect, waitFor } from 'storybook/test';

import { DEFAULT_MODEL, defaultModel, loadImage, SAMPLES } from './support/default-model.js';
import { page } from './support/docs-page.js';
import { elementIn, untilShown } from './support/element-states.js';

/** The sample the page explains. */
const SAMPLE = SAMPLES.ankleBoot;

/** One class of the sample, with its logit taken apart. */
interface ClassNumbers {
  readonly index: number;
  readonly label: string;
  /** The model's logit. */
  readonly logit: number;
  /** The mean of the class's patch-logit map, summed here in float64. */
  readonly mapMean: number;
  readonly min: number;
  readonly max: number;
  readonly bias: number;
  /** Sums of the positive and negative patch contributions (E − bias) / cells. */
  readonly positive: number;
  readonly negative: number;
}

/** What the page shows about the sample, measured with the default model when the story loads. */
interface ScienceNumbers {
  readonly q: number;
  readonly stride: number;
  readonly width: number;
  readonly height: number;
  readonly rows: number;
  readonly cols: number;
  readonly classes: readonly ClassNumbers[];
  /** The top class's strongest cell: its map value, and the model's logit on its q × q crop alone. */
  readonly cell: { readonly row: number; readonly col: number; readonly inMap: number; readonly onCrop: number };
}

/**
 * Runs the default model on the sample (one forward pass), and again on the q × q crop of the top
 * class's strongest cell alone. The evidence maps are disposed; only numbers are kept.
 */
async function measure(): Promise<ScienceNumbers> {
  const [net, img] = await Promise.all([defaultModel(), loadImage(SAMPLE)]);
  const evidence = await net.evidence(img);
  try {
    const g = evidence.geometry;
    const classes = evidence.topClasses(3).map(({ index, label, logit }): ClassNumbers => {
      const map = evidence.classMap(index);
      let sum = 0;
      for (const v of map) sum += v;
      const split = evidence.evidenceSplit(index);
      return {
        index,
        label,
        logit,
        mapMean: sum / map.length,
        min: Math.min(...map),
        max: Math.max(...map),
        bias: split.bias,
        positive: split.positive,
        negative: split.negative,
      };
    });
    const top = classes[0]!;
    const strongest = evidence.topPatches(top.index, 1, 'most')[0]!;
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(img, 0, 0);
    const r = strongest.rect;
    const crop = await net.evidence(ctx.getImageData(r.x, r.y, r.width, r.height));
    let onCrop: number;
    try {
      onCrop = crop.value(0, 0, top.index);
    } finally {
      crop.dispose();
    }
    return {
      q: g.receptiveField,
      stride: g.stride,
      width: g.imageWidth,
      height: g.imageHeight,
      rows: g.rows,
      cols: g.cols,
      classes,
      cell: { row: strongest.row, col: strongest.col, inMap: strongest.logit, onCrop },
    };
  } finally {
    evidence.dispose();
  }
}

const f = (v: number, digits = 3) => (v < 0 ? `−${Math.abs(v).toFixed(digits)}` : v.toFixed(digits));

/**
 * The patch grid of the sample as an SVG: the image's pixels, a dot at the centre of every cell's
 * patch, the receptive field of `cell` (solid) and of its right and lower neighbours (dashed),
 * one stride away.
 */
function gridDiagram(n: ScienceNumbers, cell: CellRef): SVGTemplateResult {
  const { q, stride, width, height, rows, cols } = n;
  const box = (row: number, col: number, cls: string) =>
    row < rows && col < cols
      ? svg`<rect class=${cls} x=${col * stride} y=${row * stride} width=${q} height=${q}></rect>`
      : svg``;
  const pixels = [];
  for (let x = 0; x <= width; x++) pixels.push(svg`<line x1=${x} y1="0" x2=${x} y2=${height}></line>`);
  for (let y = 0; y <= height; y++) pixels.push(svg`<line x1="0" y1=${y} x2=${width} y2=${y}></line>`);
  const centres = [];
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const active = row === cell.row && col === cell.col;
      centres.push(
        svg`<circle cx=${col * stride + q / 2} cy=${row * stride + q / 2} r=${active ? 0.7 : 0.35} class=${active ? 'active' : ''}></circle>`,
      );
    }
  }
  return svg`<svg viewBox="-0.5 -0.5 ${width + 1} ${height + 1}" width="300" height="300" role="img"
      aria-label=${`Patch grid: ${rows} × ${cols} cells, each seeing a ${q} × ${q} px patch, ${stride} px apart; cell row ${cell.row + 1}, column ${cell.col + 1} outlined.`}>
    <style>
      .pixels line { stroke: #fff; stroke-width: 0.04; }
      circle { fill: #0969da; } circle.active { fill: #cf222e; }
      rect { fill: none; stroke-width: 0.3; } rect.field { stroke: #cf222e; fill: rgba(207, 34, 46, 0.12); }
      rect.neighbour { stroke: #0969da; stroke-dasharray: 0.6 0.4; }
    </style>
    <image href=${SAMPLE} width=${width} height=${height} style="image-rendering: pixelated"></image>
    <g class="pixels">${pixels}</g>
    ${box(cell.row, cell.col + 1, 'neighbour')} ${box(cell.row + 1, cell.col, 'neighbour')}
    ${box(cell.row, cell.col, 'field')}
    <g>${centres}</g>
  </svg>`;
}

function diagramCaption(n: ScienceNumbers, cell: CellRef): TemplateResult {
  return html`Cell (row ${cell.row + 1}, column ${cell.col + 1}) sees x = ${n.stride}·${cell.col} =
  ${n.stride * cell.col}, y = ${n.stride}·${cell.row} = ${n.stride * cell.row}, ${n.q} × ${n.q} px (red). Its neighbours
  (dashed) see the square ${n.stride} px further right or down. Dots: the centres of all ${n.rows * n.cols} patches.`;
}

function numbersTable(n: ScienceNumbers): TemplateResult {
  const cells = n.rows * n.cols;
  return html`<table class="docs-table">
    <thead>
      <tr>
        <th>class</th>
        <th>logit (model)</th>
        <th>mean of the ${cells} cells</th>
        <th>cells range from … to</th>
        <th>bias + for + against</th>
      </tr>
    </thead>
    <tbody>
      ${n.classes.map(
        (c) =>
          html`<tr>
            <td>${c.label}</td>
            <td>${f(c.logit, 4)}</td>
            <td>${f(c.mapMean, 4)}</td>
            <td>${f(c.min, 2)} … ${f(c.max, 2)}</td>
            <td>
              ${f(c.bias, 2)} + ${f(c.positive, 2)} + ${f(c.negative, 2)} = ${f(c.bias + c.positive + c.negative, 4)}
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function sciencePage(n: ScienceNumbers): TemplateResult {
  const top = n.classes[0]!;
  const start: CellRef = { row: n.cell.row, col: n.cell.col };
  const cells = n.rows * n.cols;
  const onCell = (e: Event) => {
    const heatmap = e.currentTarget as BagNetHeatmapElement;
    const v = heatmap.value;
    const cell = v === null ? start : { row: v.row, col: v.col };
    const figure = heatmap.closest('.docs-figure')!;
    render(gridDiagram(n, cell), figure.querySelector<HTMLElement>('#grid-diagram')!);
    render(diagramCaption(n, cell), figure.querySelector<HTMLElement>('#grid-caption')!);
  };
  return page(html`
    <h1>The science: patches, stride and evidence</h1>
    <p class="docs-lead">
      A BagNet (Brendel &amp; Bethge,
      <em>Approximating CNNs with Bag-of-local-Features models works surprisingly well on ImageNet</em>, ICLR 2019)
      classifies every small square patch of an image on its own, then averages the patches' class scores. Its
      explanation is therefore not an approximation: the logits <em>are</em> the mean of the evidence map the views
      show.
    </p>

    <h2>q: how much of the image one patch sees</h2>
    <p>
      The network is a ResNet whose convolutions are mostly 1 × 1, with few 3 × 3 ones and no padding: each output cell
      depends on one q × q square of pixels, its <em>receptive field</em>, and on nothing else. The published BagNets
      have q = 9, 17 and 33 px on 224 px ImageNet images. The default model of this site, trained on 28 × 28
      Fashion-MNIST images, has q = ${n.q} px: enough for a collar, a heel or a strap, never a whole garment.
    </p>

    <h2>stride: how far apart the patches are</h2>
    <p>
      Neighbouring cells see squares shifted by the <em>stride</em>: 8 px in the ImageNet BagNets, ${n.stride} px here.
      An H × W image gives a grid of rows = ⌊(H − q) / stride⌋ + 1 by cols = ⌊(W − q) / stride⌋ + 1 cells, and cell
      (row, col) sees the square at x = stride · col, y = stride · row. Here: ⌊(${n.height} − ${n.q}) / ${n.stride}⌋ + 1
      = ${n.rows} rows, ${n.cols} columns, ${cells} patches. (BagNet-33 on 224 px: ⌊(224 − 33) / 8⌋ + 1 = 24 per side.)
    </p>
    <div class="docs-figure">
      <figure>
        <bagnet-heatmap
          id="science-heatmap"
          model-src=${DEFAULT_MODEL}
          src=${SAMPLE}
          class-index=${top.index}
          .selectedCell=${start}
          @input=${onCell}
        ></bagnet-heatmap>
        <figcaption>
          The evidence for “${top.label}”, one coloured square per cell, drawn at the centre of its patch. Hover a cell
          (or focus the map and use the arrow keys): the box is its receptive field.
        </figcaption>
      </figure>
      <figure>
        <div id="grid-diagram">${gridDiagram(n, start)}</div>
        <figcaption id="grid-caption">${diagramCaption(n, start)}</figcaption>
      </figure>
    </div>

    <h2>evidence: what each patch says about each class</h2>
    <p>
      A 1 × 1 classifier on top of every cell gives a class-logit map E[row, col, class], the <em>evidence map</em>: how
      much the patch alone speaks for (red) or against (blue) each class. The image's logits are its plain mean,
      logit[c] = (1 / cells) · Σ E[row, col, c]. Measured just now on this sample with the default model (one forward
      pass, CPU backend):
    </p>
    ${numbersTable(n)}
    <p>
      The first two columns agree to float32 rounding: the logit <em>is</em> the mean. Subtracting the head's bias from
      every cell splits it exactly into what the patches contribute for the class and against it — the bars of
      <code>&lt;evidence-bar&gt;</code>.
    </p>
    <p>
      And each cell really sees only its patch: the strongest cell for “${top.label}” (row ${n.cell.row + 1}, column
      ${n.cell.col + 1}) has E = <strong id="cell-in-map">${f(n.cell.inMap, 4)}</strong> in the map of the whole image;
      the same network run on that ${n.q} × ${n.q} px crop alone says
      <strong id="cell-on-crop">${f(n.cell.onCrop, 4)}</strong> (difference
      ${Math.abs(n.cell.inMap - n.cell.onCrop).toExponential(1)}).
    </p>

    <h2>One run, every view</h2>
    <p>
      Because everything is a function of E, switching the class, the colormap or the threshold, ranking the top patches
      (<code>&lt;patch-gallery&gt;</code>) or splitting the logits (<code>&lt;evidence-bar&gt;</code>) never runs the
      model again. The three maps below are the same forward pass, read for the top three classes:
    </p>
    <div class="docs-grid">
      ${n.classes.map(
        (c) =>
          html`<figure>
            <bagnet-heatmap
              class="per-class"
              model-src=${DEFAULT_MODEL}
              src=${SAMPLE}
              class-index=${c.index}
            ></bagnet-heatmap>
            <figcaption>${c.label} (logit ${f(c.logit, 2)})</figcaption>
          </figure>`,
      )}
    </div>

    <h2>Cells or dense</h2>
    <p>
      The cell map has one value per stride. The reference implementation's heatmap has one value per <em>pixel</em>:
      the patch centred on that pixel. <code>resolution="dense"</code> computes exactly that, by evaluating the same
      network at every offset, and paints it progressively (8, 4, 2, then 1 px detail) — see the heatmap's
      <em>Dense map</em> story.
    </p>
  `);
}

const meta = {
  title: 'Docs/The science',
  parameters: { controls: { disable: true }, actions: { disable: true } },
} satisfies Meta;

export default meta;

/** What q, stride and evidence mean, with a live heatmap, the patch grid and numbers from the default model. */
export const TheScience: StoryObj = {
  name: 'The science',
  loaders: [async () => ({ numbers: await measure() })],
  render: (_args, { loaded }: StoryContext) => sciencePage((loaded as { numbers: ScienceNumbers }).numbers),
  play: async ({ canvasElement }) => {
    const heatmap = elementIn<BagNetHeatmapElement>(canvasElement, '#science-heatmap');
    await untilShown(heatmap, () => heatmap.summary.startsWith('Evidence map for'), 'shows the evidence');
    for (const el of canvasElement.querySelectorAll<BagNetHeatmapElement>('bagnet-heatmap.per-class')) {
      await untilShown(el, () => el.summary.startsWith('Evidence map for'), 'shows the evidence');
    }
    // The locality check holds: the cell's value in the full map equals the crop's logit.
    const inMap = Number(canvasElement.querySelector('#cell-in-map')!.textContent!.replace('−', '-'));
    const onCrop = Number(canvasElement.querySelector('#cell-on-crop')!.textContent!.replace('−', '-'));
    await waitFor(() => expect(Math.abs(inMap - onCrop)).toBeLessThan(1e-3));
  },
};
