import { aTimeout, expect, fixture, fixtureCleanup, html } from '@open-wc/testing';
import * as tf from '@tensorflow/tfjs-core';
import { BagNet, denseEvidence, EvidenceMap, PatchGeometry } from '@bagnet-vis/core';

import '../define.js';
import type { BagNetHeatmapElement } from './heatmap.element.js';
import { colormap } from '../shared/colormap.js';
import { evidenceEvaluations } from '../shared/evidence-cache.js';
import { modelCacheStats } from '../shared/model-cache.js';
import { blobToCanvas, patternCanvas, patternUrl, pixel } from '../../test/images.js';
import { ModelServer, tinyNet, useTestBackend } from '../../test/model-server.js';
import { $, nextEvent, settle, until } from '../../test/settle.js';

/**
 * A known 4 × 4 map (q = 9, stride 8, 33 × 33 image), two classes. Class 0, row-major:
 *    4   2   0  −2
 *   −4   1   0   3
 *  0.5 −0.5  0   0
 *    2  −3   1  −1
 */
const CLASS0 = [4, 2, 0, -2, -4, 1, 0, 3, 0.5, -0.5, 0, 0, 2, -3, 1, -1];
function knownMap(): EvidenceMap {
  const logitMap = new Float32Array(32);
  CLASS0.forEach((v, i) => {
    logitMap[i * 2] = v;
    logitMap[i * 2 + 1] = i / 10;
  });
  return new EvidenceMap({
    logitMap,
    geometry: new PatchGeometry(9, 8, 33, 33, 4, 4),
    labels: ['for', 'other'],
    bias: new Float32Array([0.25, 0]),
  });
}

/** NumPy's default (linear) percentile, by sorting. */
function npPercentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  return lo + 1 < s.length ? s[lo]! + (rank - lo) * (s[lo + 1]! - s[lo]!) : s[lo]!;
}

const isRed = ([r, g, b]: number[]) => r! > g! + 60 && r! > b! + 40;
const isBlue = ([r, g, b]: number[]) => b! > r! + 40 && b! > g! + 20;
const isNeutral = ([r, g, b]: number[]) =>
  Math.min(r!, g!, b!) > 215 && Math.max(r!, g!, b!) - Math.min(r!, g!, b!) < 16;

async function knownHeatmap(attrs = ''): Promise<BagNetHeatmapElement> {
  const el = document.createElement('bagnet-heatmap');
  el.style.width = '330px';
  for (const a of attrs.split(/\s+/).filter(Boolean)) {
    const [name, value] = a.split('=') as [string, string | undefined];
    el.setAttribute(name, value ?? '');
  }
  el.evidence = knownMap();
  el.image = patternCanvas(33, 33);
  await fixture(html`<div>${el}</div>`);
  await settle(el);
  return el;
}

function overlay(el: BagNetHeatmapElement): HTMLCanvasElement {
  return $<HTMLCanvasElement>(el, 'canvas.overlay');
}

/** Centre of cell (row, col) in client coordinates. */
function cellPoint(el: BagNetHeatmapElement, row: number, col: number) {
  const r = $(el, '.cells').getBoundingClientRect();
  return { clientX: r.left + ((col * 8 + 4.5) / 33) * r.width, clientY: r.top + ((row * 8 + 4.5) / 33) * r.height };
}

function key(el: BagNetHeatmapElement, k: string, init: KeyboardEventInit = {}) {
  $(el, '.cells').dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, composed: true, ...init }));
}

describe('<bagnet-heatmap> with a known evidence map', () => {
  it('paints positive evidence red, negative blue and zero neutral (default RdBu, one pixel per cell)', async () => {
    const el = await knownHeatmap('class-index=0');
    const c = overlay(el);
    expect([c.width, c.height]).to.deep.equal([4, 4]);
    expect(isRed(pixel(c, 0, 0)), 'cell (0,0) = +4').to.equal(true);
    expect(isRed(pixel(c, 3, 1)), 'cell (1,3) = +3').to.equal(true);
    expect(isBlue(pixel(c, 0, 1)), 'cell (1,0) = −4').to.equal(true);
    expect(isBlue(pixel(c, 1, 3)), 'cell (3,1) = −3').to.equal(true);
    expect(isNeutral(pixel(c, 2, 0)), 'cell (0,2) = 0').to.equal(true);
    expect(pixel(c, 2, 0)[3]).to.equal(255);
    // The strongest cells take the ends of the LUT; +4 is beyond the 99th-percentile limit.
    expect(pixel(c, 0, 0).slice(0, 3)).to.deep.equal([...colormap('RdBu').lut.subarray(1020, 1023)]);
    expect(pixel(c, 0, 1).slice(0, 3)).to.deep.equal([...colormap('RdBu').lut.subarray(0, 3)]);
  });

  it('defaults: top-1 class, clip 99, RdBu, opacity 0.75, sign all, threshold 0, cells', async () => {
    const el = await knownHeatmap();
    expect(el.colormap).to.equal('RdBu');
    expect(el.clipPercentile).to.equal(99);
    expect(el.opacity).to.equal(0.75);
    expect(el.sign).to.equal('all');
    expect(el.threshold).to.equal(0);
    expect(el.resolution).to.equal('cells');
    expect(el.outline).to.equal(false);
    expect(el.classIndex).to.equal(undefined);
    // Class 1's mean (0.75) beats class 0's (3/16): the top-1 class is 1.
    expect(el.value).to.equal(null);
    expect(el.summary).to.contain('“other” (class 1');
    expect(el.getAttribute('class-index')).to.equal(null);
  });

  it('reflects every primitive property to its kebab-case attribute and back', async () => {
    const el = await knownHeatmap();
    const cases: [keyof BagNetHeatmapElement, string, unknown, string][] = [
      ['classIndex', 'class-index', 0, '0'],
      ['clipPercentile', 'clip-percentile', 90, '90'],
      ['colormap', 'colormap', 'PiYG', 'PiYG'],
      ['opacity', 'opacity', 0.5, '0.5'],
      ['sign', 'sign', 'positive', 'positive'],
      ['threshold', 'threshold', 0.25, '0.25'],
      ['resolution', 'resolution', 'dense', 'dense'],
      ['modelSrc', 'model-src', '/m.json', '/m.json'],
      ['src', 'src', '/i.png', '/i.png'],
    ];
    for (const [prop, attr, value, text] of cases) {
      (el as unknown as Record<string, unknown>)[prop] = value;
      await el.updateComplete;
      expect(el.getAttribute(attr), attr).to.equal(text);
    }
    el.outline = true;
    await el.updateComplete;
    expect(el.hasAttribute('outline')).to.equal(true);
    el.setAttribute('clip-percentile', '95');
    el.setAttribute('class-index', '1');
    el.setAttribute('sign', 'negative');
    await el.updateComplete;
    expect([el.clipPercentile, el.classIndex, el.sign]).to.deep.equal([95, 1, 'negative']);
    el.removeAttribute('model-src');
    el.removeAttribute('src');
    await settle(el);
  });

  it('clips the colour limits at clip-percentile of |evidence| (NumPy linear percentile)', async () => {
    const el = await knownHeatmap('class-index=0');
    const abs = CLASS0.map(Math.abs);
    expect(el.limits![1]).to.be.closeTo(npPercentile(abs, 99), 1e-6);
    expect(el.limits![0]).to.be.closeTo(-npPercentile(abs, 99), 1e-6);
    el.clipPercentile = 50;
    await settle(el);
    const l = npPercentile(abs, 50); // 1
    expect(el.limits![1]).to.be.closeTo(l, 1e-6);
    // With a tighter limit, +1 (cell 1,1) now saturates: the darkest red.
    expect(pixel(overlay(el), 1, 1).slice(0, 3)).to.deep.equal([...colormap('RdBu').lut.subarray(1020, 1023)]);
    // Legend ticks are DOM text at −L, −L/2, 0, L/2, L.
    const ticks = [...el.shadowRoot!.querySelectorAll('[part="legend-tick"]')].map((t) => t.textContent!.trim());
    expect(ticks).to.deep.equal(['\u22121', '\u22120.5', '0', '0.5', '1']);
  });

  it('uses a fixed `domain` (shared limits) instead of the percentile', async () => {
    const el = await knownHeatmap('class-index=0');
    el.domain = [-8, 8];
    await settle(el);
    expect(el.limits).to.deep.equal([-8, 8]);
    const lut = colormap('RdBu').lut;
    // +4 is half way up: LUT entry round(127.5 + 63.75) = 191.
    expect(pixel(overlay(el), 0, 0).slice(0, 3)).to.deep.equal([...lut.subarray(191 * 4, 191 * 4 + 3)]);
    const ticks = [...el.shadowRoot!.querySelectorAll('[part="legend-tick"]')].map((t) => t.textContent!.trim());
    expect(ticks).to.deep.equal(['\u22128', '\u22124', '0', '4', '8']);
    el.domain = undefined;
    await settle(el);
    expect(el.limits![1]).to.be.lessThan(4.1);
  });

  it('sign="positive" / "negative" hide the other sign; threshold hides weak evidence', async () => {
    const el = await knownHeatmap('class-index=0 sign=positive');
    const c = overlay(el);
    expect(pixel(c, 0, 0)[3]).to.equal(255);
    expect(pixel(c, 0, 1)[3], 'negative hidden').to.equal(0);
    expect(pixel(c, 2, 0)[3], 'zero hidden').to.equal(0);
    el.sign = 'negative';
    await settle(el);
    expect(pixel(c, 0, 0)[3], 'positive hidden').to.equal(0);
    expect(isBlue(pixel(c, 0, 1))).to.equal(true);
    el.sign = 'all';
    el.threshold = 0.2; // limit ≈ 4 → |v| < 0.8 hidden
    await settle(el);
    expect(pixel(c, 0, 2)[3], '±0.5 hidden').to.equal(0);
    expect(pixel(c, 1, 2)[3]).to.equal(0);
    expect(pixel(c, 1, 1)[3], '+1 shown').to.equal(255);
    expect($(el, '.legend-note').textContent).to.contain('20 %');
  });

  it('colormap: diverging and sequential d3 schemes, any case; repaint without re-running', async () => {
    const el = await knownHeatmap('class-index=0');
    el.colormap = 'piyg';
    await settle(el);
    const piyg = colormap('PiYG').lut;
    expect(pixel(overlay(el), 0, 0).slice(0, 3)).to.deep.equal([...piyg.subarray(1020, 1023)]);
    el.colormap = 'Viridis';
    await settle(el);
    const viridis = colormap('Viridis').lut;
    expect(pixel(overlay(el), 0, 0).slice(0, 3)).to.deep.equal([...viridis.subarray(1020, 1023)]);
    expect(pixel(overlay(el), 0, 1).slice(0, 3)).to.deep.equal([...viridis.subarray(0, 3)]);
  });

  it('opacity is CSS on the overlay (no repaint)', async () => {
    const el = await knownHeatmap('class-index=0 opacity=0.3');
    expect(getComputedStyle(overlay(el)).opacity).to.equal('0.3');
    const ctx = overlay(el).getContext('2d')!;
    let puts = 0;
    const put = ctx.putImageData.bind(ctx);
    ctx.putImageData = ((...a: Parameters<typeof put>) => {
      puts++;
      return put(...a);
    }) as typeof ctx.putImageData;
    el.opacity = 0.9;
    await settle(el);
    expect(getComputedStyle(overlay(el)).opacity).to.equal('0.9');
    expect(puts).to.equal(0);
    el.colormap = 'RdGy';
    await settle(el);
    expect(puts).to.equal(1);
  });

  it('places the overlay over the cell grid and scales it with CSS', async () => {
    const el = await knownHeatmap('class-index=0');
    const stage = $(el, '.stage').getBoundingClientRect();
    const o = overlay(el).getBoundingClientRect();
    expect(stage.width).to.be.closeTo(330, 1);
    expect(stage.height).to.be.closeTo(330, 1); // aspect ratio of the image
    // cells are stride-wide tiles centred on their q × q patches: x from (q − stride)/2 = 0.5 px
    expect(o.left - stage.left).to.be.closeTo(5, 0.6);
    expect(o.width).to.be.closeTo(320, 1);
    expect(getComputedStyle(overlay(el)).imageRendering).to.equal('pixelated');
  });

  it('hover: receptive-field box, tooltip, `input` and `bagnet-cell-hover`; click: `change` and `bagnet-cell-select`', async () => {
    const el = await knownHeatmap('class-index=0');
    const cells = $(el, '.cells');
    setTimeout(() => cells.dispatchEvent(new PointerEvent('pointermove', { ...cellPoint(el, 2, 1), bubbles: true })));
    const [hover, input] = await Promise.all([nextEvent(el, 'bagnet-cell-hover'), nextEvent(el, 'input')]);
    expect(hover.detail).to.include({ row: 2, col: 1, classIndex: 0, logit: -0.5 });
    expect(hover.detail!.rect).to.deep.equal({ x: 8, y: 16, width: 9, height: 9 });
    expect(hover.detail!.contribution).to.be.closeTo((-0.5 - 0.25) / 16, 1e-7);
    expect(hover.bubbles && hover.composed).to.equal(true);
    expect(input.target).to.equal(el);
    expect(el.value).to.include({ row: 2, col: 1 });
    await settle(el);
    const box = $(el, '[part="receptive-field"]');
    expect(parseFloat(box.style.left)).to.be.closeTo((100 * 8) / 33, 1e-3);
    expect(parseFloat(box.style.width)).to.be.closeTo((100 * 9) / 33, 1e-3);
    expect($(el, '[part="tooltip"]').textContent).to.match(/row 3, col 2 · \u22120\.5\s+against/);
    setTimeout(() => cells.dispatchEvent(new MouseEvent('click', { ...cellPoint(el, 0, 3), bubbles: true })));
    const [select, change] = await Promise.all([nextEvent(el, 'bagnet-cell-select'), nextEvent(el, 'change')]);
    expect(select.detail).to.include({ row: 0, col: 3, logit: -2 });
    expect(change.target).to.equal(el);
    expect(el.selectedCell).to.deep.equal({ row: 0, col: 3 });
    cells.dispatchEvent(new PointerEvent('pointerleave'));
    await settle(el);
    expect(el.value).to.include({ row: 0, col: 3 }); // the selection once the pointer left
    expect(el.shadowRoot!.querySelector('[part="selection"]')).to.not.equal(null);
    expect(el.shadowRoot!.querySelector('[part="receptive-field"]')).to.equal(null);
  });

  it('keyboard: focus puts the cursor on the strongest patch; arrows, Home/End, PageUp/Down move; Enter selects; Escape clears', async () => {
    const el = await knownHeatmap('class-index=0');
    const cells = $(el, '.cells');
    expect(cells.getAttribute('tabindex')).to.equal('0');
    const hovers: (number[] | null)[] = [];
    el.addEventListener('bagnet-cell-hover', (e) => hovers.push(e.detail ? [e.detail.row, e.detail.col] : null));
    cells.focus();
    await settle(el);
    expect(el.value).to.include({ row: 0, col: 0 }); // +4
    key(el, 'ArrowRight');
    key(el, 'ArrowDown');
    key(el, 'ArrowDown');
    key(el, 'ArrowLeft');
    key(el, 'ArrowLeft'); // clamped at column 0
    key(el, 'ArrowUp');
    expect(hovers).to.deep.equal([
      [0, 0],
      [0, 1],
      [1, 1],
      [2, 1],
      [2, 0],
      [1, 0],
    ]);
    key(el, 'End');
    expect(el.value).to.include({ row: 1, col: 3 });
    key(el, 'Home');
    expect(el.value).to.include({ row: 1, col: 0 });
    key(el, 'PageDown');
    expect(el.value).to.include({ row: 3, col: 0 });
    key(el, 'PageUp');
    expect(el.value).to.include({ row: 0, col: 0 });
    key(el, 'End', { ctrlKey: true });
    expect(el.value).to.include({ row: 3, col: 3 });
    await settle(el);
    expect($(el, '#cursor-text').textContent).to.contain('Row 4, column 4: \u22121, evidence against “for”');
    setTimeout(() => key(el, 'Enter'));
    const change = await nextEvent(el, 'change');
    expect(change).to.be.instanceOf(Event);
    expect(el.selectedCell).to.deep.equal({ row: 3, col: 3 });
    setTimeout(() => key(el, 'Escape'));
    const cleared = await nextEvent(el, 'bagnet-cell-select');
    expect(cleared.detail).to.equal(null);
    expect(el.selectedCell).to.equal(null);
    cells.blur();
    await settle(el);
    expect(hovers.at(-1)).to.equal(null);
  });

  it('highlight and selectedCell properties draw boxes set by the page', async () => {
    const el = await knownHeatmap('class-index=0');
    el.highlight = { row: 1, col: 2 };
    el.selectedCell = { row: 3, col: 0 };
    await settle(el);
    expect(parseFloat($(el, '[part="receptive-field"]').style.top)).to.be.closeTo((100 * 8) / 33, 1e-3);
    expect(parseFloat($(el, '[part="selection"]').style.top)).to.be.closeTo((100 * 24) / 33, 1e-3);
  });

  it('role="img" with a text summary of the class, its logit and the top and bottom patches', async () => {
    const el = await knownHeatmap('class-index=0');
    const figure = $(el, '[part="figure"]');
    expect(figure.getAttribute('role')).to.equal('img');
    const label = figure.getAttribute('aria-label')!;
    expect(label).to.contain('Evidence map for “for” (class 0, logit +0.188)');
    expect(label).to.contain(
      'Strongest evidence for it: row 1, column 1 (+4); row 2, column 4 (+3); row 1, column 2 (+2)',
    );
    expect(label).to.contain(
      'Strongest against: row 2, column 1 (\u22124); row 4, column 2 (\u22123); row 1, column 4 (\u22122)',
    );
  });

  it('calls a patch "for" by its contribution, as <evidence-bar> counts it, not by the sign of its logit', async () => {
    // Bias 2.5: the patches of logit +2 raise their map value above zero but lower the class logit.
    const logitMap = new Float32Array(16);
    CLASS0.forEach((v, i) => (logitMap[i] = v));
    const el = await fixture<BagNetHeatmapElement>(html`<bagnet-heatmap class-index="0"></bagnet-heatmap>`);
    const map = new EvidenceMap({
      logitMap,
      geometry: new PatchGeometry(9, 8, 33, 33, 4, 4),
      labels: ['for'],
      bias: Float32Array.of(2.5),
    });
    el.evidence = map;
    await settle(el);
    const label = $(el, '[part="figure"]').getAttribute('aria-label')!;
    expect(label).to.contain('Strongest evidence for it: row 1, column 1 (+4); row 2, column 4 (+3). ');
    expect(label).to.contain('Strongest against: row 2, column 1 (\u22124);');
    // The cell texts say the same: the patch of logit +2 (row 1, column 2) is against.
    el.highlight = { row: 0, col: 1 };
    await settle(el);
    expect($(el, '#cursor-text').textContent).to.contain('Row 1, column 2: +2, evidence against “for”');
    expect($(el, '[part="tooltip"]').textContent).to.match(/row 1, col 2 · \+2\s+against/);
    el.highlight = null;
    const split = map.classEvidence(0).split;
    expect([split.positiveCount, split.negativeCount]).to.deep.equal([2, 14]);
    // The same element with the known map (bias 0.25) still names three patches for.
    el.evidence = knownMap();
    await settle(el);
    expect($(el, '[part="figure"]').getAttribute('aria-label')).to.contain(
      '(+4); row 2, column 4 (+3); row 1, column 2 (+2)',
    );
  });

  it('passes axe, with data and empty', async () => {
    const el = await knownHeatmap('class-index=0 outline');
    await expect(el).to.be.accessible();
    const empty = await fixture<BagNetHeatmapElement>(html`<bagnet-heatmap></bagnet-heatmap>`);
    await expect(empty).to.be.accessible();
  });

  it('outline draws the image edges', async () => {
    const el = await knownHeatmap('class-index=0 outline');
    await aTimeout(20);
    const c = $<HTMLCanvasElement>(el, 'canvas.outline');
    expect([c.width, c.height]).to.deep.equal([33, 33]);
    const alpha = c
      .getContext('2d')!
      .getImageData(0, 0, 33, 33)
      .data.filter((_, i) => i % 4 === 3);
    const drawn = alpha.filter((a) => a > 0).length;
    expect(drawn).to.be.within(40, 33 * 33 * 0.3);
  });

  it('toBlob() exports image + overlay + legend as PNG; download() clicks a link', async () => {
    const el = await knownHeatmap('class-index=0 opacity=1');
    const blob = await el.toBlob();
    expect(blob.type).to.equal('image/png');
    const canvas = await blobToCanvas(blob);
    const scale = Math.ceil(448 / 33);
    expect(canvas.width).to.equal(33 * scale);
    expect(canvas.height).to.equal(33 * scale + 44);
    const at = (row: number, col: number) => pixel(canvas, (col * 8 + 4.5) * scale, (row * 8 + 4.5) * scale);
    expect(isRed(at(0, 0))).to.equal(true);
    expect(isBlue(at(1, 0))).to.equal(true);
    expect(isNeutral(at(0, 2))).to.equal(true);
    const clicks: HTMLAnchorElement[] = [];
    const click = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      clicks.push(this);
    };
    try {
      await el.download('map.png');
    } finally {
      HTMLAnchorElement.prototype.click = click;
    }
    expect(clicks).to.have.length(1);
    expect(clicks[0]!.download).to.equal('map.png');
    expect(clicks[0]!.href).to.match(/^blob:/);
  });

  it('shows inline errors (and fires error + bagnet-error) for an unknown colormap and a class out of range', async () => {
    const el = await knownHeatmap('class-index=0');
    setTimeout(() => (el.colormap = 'NotAMap'));
    const [err, bagnetErr] = await Promise.all([nextEvent(el, 'error'), nextEvent(el, 'bagnet-error')]);
    expect(err).to.be.instanceOf(ErrorEvent);
    expect(err.message).to.contain('Unknown colormap "NotAMap"');
    expect(bagnetErr.detail.code).to.equal('colormap');
    await settle(el);
    expect($(el, '[part="error"]').getAttribute('role')).to.equal('alert');
    expect($(el, '[part="error"]').textContent).to.contain('RdBu');
    expect(isRed(pixel(overlay(el), 0, 0)), 'still drawn with the default map').to.equal(true);
    el.colormap = 'RdBu';
    setTimeout(() => (el.classIndex = 7));
    const range = await nextEvent(el, 'bagnet-error');
    expect(range.detail.code).to.equal('class-index');
    expect(range.detail.message).to.contain('Class index 7 is out of range: this model has 2 classes (0–1)');
    await settle(el);
    expect(pixel(overlay(el), 0, 0)[3], 'no overlay for an invalid class').to.equal(0);
    el.classIndex = 0;
    await settle(el);
    expect(el.shadowRoot!.querySelector('[part="error"]')).to.equal(null);
  });

  it('resolution="dense" with only a precomputed map (no model) shows the cell map and a notice', async () => {
    const el = await knownHeatmap('class-index=0 resolution=dense');
    expect($(el, '[part="notice"]').textContent).to.contain('need the model');
    expect(isRed(pixel(overlay(el), 0, 0))).to.equal(true);
    expect(el.denseLevel).to.equal(undefined);
  });
});

describe('<bagnet-heatmap> running a model', () => {
  const server = new ModelServer();
  let modelUrl: string;
  let imageUrl: string;
  let baseline: number;

  before(async () => {
    await useTestBackend();
    server.install();
    const net = tinyNet(3);
    modelUrl = await server.addModel('tiny', net);
    net.dispose();
    server.addFile(
      'not-bagnet/model.json',
      JSON.stringify({ format: 'layers-model', modelTopology: {} }),
      'application/json',
    );
    imageUrl = await patternUrl(49, 41, 2);
  });
  after(() => {
    server.uninstall();
    URL.revokeObjectURL(imageUrl);
  });
  beforeEach(() => {
    baseline = tf.memory().numTensors;
    server.delay = 0;
  });
  afterEach(async () => {
    fixtureCleanup();
    document.querySelectorAll('bagnet-heatmap').forEach((el) => el.remove());
    await aTimeout(20);
    expect(modelCacheStats(), 'model cache empty').to.deep.equal([]);
    expect(tf.memory().numTensors, 'no tensor leak').to.equal(baseline);
  });

  it('works from attributes alone: model-src + src → bagnet-evidence, overlay, and the same result as BagNet.evidence', async () => {
    const el = document.createElement('bagnet-heatmap');
    el.setAttribute('model-src', modelUrl);
    el.setAttribute('src', imageUrl);
    const ready = nextEvent(el, 'bagnet-evidence');
    await fixture(html`<div>${el}</div>`);
    const { detail } = await ready;
    await settle(el);
    expect(detail.evidence.geometry).to.include({ rows: 5, cols: 6, receptiveField: 9, stride: 8 });
    expect(detail.evidence.labels).to.deep.equal(['cat', 'dog', 'car', 'tree']);
    expect(detail.classIndex).to.equal(detail.evidence.topClasses(1)[0]!.index);
    const c = overlay(el);
    expect([c.width, c.height]).to.deep.equal([6, 5]);
    // The same numbers as running the model directly.
    const net = detail.model!;
    const direct = await net.evidence(detail.image!);
    expect(Array.from(direct.logits)).to.deep.equal(Array.from(detail.evidence.logits));
    direct.dispose();
  });

  it('shares one model per model-src and one evaluation per image and model', async () => {
    const before = server.count('tiny/model.json');
    const evaluations = evidenceEvaluations();
    const spy = BagNet.prototype.evidence;
    let calls = 0;
    BagNet.prototype.evidence = function (this: BagNet, ...args: Parameters<typeof spy>) {
      calls++;
      return spy.apply(this, args);
    };
    try {
      const els = ['bagnet-heatmap', 'bagnet-heatmap', 'evidence-bar'].map((tag) => {
        const el = document.createElement(tag) as BagNetHeatmapElement;
        el.setAttribute('model-src', modelUrl);
        el.setAttribute('src', imageUrl);
        return el;
      });
      const ready = els.map((el) => nextEvent(el, 'bagnet-evidence'));
      await fixture(html`<div>${els}</div>`);
      const details = (await Promise.all(ready)).map((e) => e.detail);
      expect(details[1]!.evidence, 'the same evidence map').to.equal(details[0]!.evidence);
      expect(details[2]!.evidence).to.equal(details[0]!.evidence);
      expect(server.count('tiny/model.json') - before, 'model.json fetched once').to.equal(1);
      expect(calls, 'BagNet.evidence ran once').to.equal(1);
      expect(evidenceEvaluations() - evaluations).to.equal(1);
      expect(modelCacheStats()).to.have.length(1);
      expect(modelCacheStats()[0]!.refs).to.equal(3);
    } finally {
      BagNet.prototype.evidence = spy;
    }
  });

  it('100 class switches and 20 image changes: no re-run on class change, no tensor leaks', async () => {
    const spy = BagNet.prototype.evidence;
    let calls = 0;
    BagNet.prototype.evidence = function (this: BagNet, ...args: Parameters<typeof spy>) {
      calls++;
      return spy.apply(this, args);
    };
    const urls: string[] = [];
    try {
      const el = await fixture<BagNetHeatmapElement>(
        html`<bagnet-heatmap model-src=${modelUrl} src=${imageUrl}></bagnet-heatmap>`,
      );
      await nextEvent(el, 'bagnet-evidence');
      for (let i = 0; i < 100; i++) {
        el.classIndex = i % 4;
        el.colormap = i % 2 ? 'RdBu' : 'Viridis';
        await el.updateComplete;
      }
      expect(calls, 'class / colormap switches never re-run the model').to.equal(1);
      for (let i = 0; i < 20; i++) {
        const url = await patternUrl(25 + (i % 3) * 8, 33, 10 + i);
        urls.push(url);
        el.src = url;
        await nextEvent(el, 'bagnet-evidence');
      }
      expect(calls).to.equal(21);
      await settle(el);
      expect(overlay(el).height).to.equal(4); // 33 px → 4 rows
    } finally {
      BagNet.prototype.evidence = spy;
      urls.forEach((u) => URL.revokeObjectURL(u));
    }
  });

  it('disconnected mid-run (model loading, then evaluating) releases the model and every tensor', async () => {
    server.delay = 30;
    const el = await fixture<BagNetHeatmapElement>(
      html`<bagnet-heatmap model-src=${modelUrl} src=${imageUrl}></bagnet-heatmap>`,
    );
    await aTimeout(10); // model.json still in flight
    el.remove();
    await aTimeout(150);
    expect(modelCacheStats()).to.deep.equal([]);
    server.delay = 0;
    // Now in the middle of the evaluation.
    const el2 = document.createElement('bagnet-heatmap');
    el2.modelSrc = modelUrl;
    el2.src = imageUrl;
    let evaluated = false;
    el2.addEventListener('bagnet-evidence', () => (evaluated = true));
    const spy = BagNet.prototype.evidence;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    BagNet.prototype.evidence = function (this: BagNet, ...args: Parameters<typeof spy>) {
      started();
      return spy.apply(this, args);
    };
    try {
      document.body.append(el2);
      await running;
      el2.remove();
      await aTimeout(100);
    } finally {
      BagNet.prototype.evidence = spy;
    }
    expect(evaluated).to.equal(false);
  });

  it('moving an element in the DOM keeps its model (no reload)', async () => {
    const a = await fixture<HTMLElement>(html`<div><section></section></div>`);
    const el = document.createElement('bagnet-heatmap');
    el.modelSrc = modelUrl;
    el.src = imageUrl;
    const ready = nextEvent(el, 'bagnet-evidence');
    a.append(el);
    await ready;
    const loads = server.count('tiny/model.json');
    a.querySelector('section')!.append(el);
    await settle(el);
    await aTimeout(20);
    expect(server.count('tiny/model.json')).to.equal(loads);
    expect(overlay(el).width).to.equal(6);
  });

  it('works from properties: .model + .image (a tensor the page owns)', async () => {
    const net = tinyNet(5);
    const image = tf.tidy(() => tf.randomUniform([33, 41, 3], 0, 255, 'int32')) as tf.Tensor3D;
    const el = document.createElement('bagnet-heatmap');
    el.model = net;
    el.image = image;
    const ready = nextEvent(el, 'bagnet-evidence');
    await fixture(html`<div>${el}</div>`);
    const { detail } = await ready;
    await settle(el);
    await aTimeout(10);
    expect(detail.evidence.geometry).to.include({ rows: 4, cols: 5 });
    expect($<HTMLCanvasElement>(el, 'canvas.image').width).to.equal(41);
    el.remove();
    await aTimeout(10);
    expect(net.isDisposed, 'the page owns .model').to.equal(false);
    net.dispose();
    image.dispose();
  });

  it('resolution="dense": per-pixel map from core’s denseEvidence, painted level by level (8, 4, 2, 1), cached per class', async () => {
    const el = document.createElement('bagnet-heatmap');
    el.setAttribute('model-src', modelUrl);
    el.setAttribute('src', imageUrl);
    el.setAttribute('class-index', '2');
    el.setAttribute('resolution', 'dense');
    const levels: string[] = [];
    el.addEventListener('bagnet-dense-level', (e) =>
      levels.push(`${e.detail.classIndex}:${e.detail.stride}${e.detail.isFinal ? '!' : ''}`),
    );
    const ready = nextEvent(el, 'bagnet-evidence');
    await fixture(html`<div>${el}</div>`);
    const { detail } = await ready;
    await until(el, () => levels.includes('2:1!'), 'final dense level');
    expect(levels).to.deep.equal(['2:8', '2:4', '2:2', '2:1!']);
    const level = el.denseLevel!;
    expect([level.stride, level.isFinal, level.rows, level.cols]).to.deep.equal([1, true, 41, 49]);
    const c = overlay(el);
    expect([c.width, c.height]).to.deep.equal([49, 41]);
    // The same values as calling core directly; the brightest red at the maximum.
    const direct = await denseEvidence(detail.model!, detail.image!, { classes: [2] });
    expect(Array.from(level.classMap(2))).to.deep.equal(Array.from(direct.classMap(2)));
    const values = direct.classMap(2);
    const at = values.indexOf(Math.max(...values));
    expect(isRed(pixel(c, at % 49, Math.floor(at / 49)))).to.equal(true);
    expect(el.limits![1]).to.be.lessThan(Math.max(...Array.from(values, Math.abs)) + 1e-6);
    // Another class: a new run; cancelled midway by switching back, which is instant (cached).
    el.classIndex = 0;
    await until(el, () => levels.includes('0:8'), 'class 0 started');
    el.classIndex = 2;
    await settle(el);
    expect(el.denseLevel!.classMap(2)).to.equal(level.classMap(2));
    await aTimeout(50);
    expect(levels.filter((l) => l.startsWith('0:')).includes('0:1!'), 'class 0 run cancelled').to.equal(false);
    // Back to cells.
    el.resolution = 'cells';
    await settle(el);
    expect([overlay(el).width, overlay(el).height]).to.deep.equal([6, 5]);
    expect(el.denseLevel).to.equal(undefined);
  });

  it('disconnecting during a dense run cancels it and releases every tensor', async () => {
    const el = document.createElement('bagnet-heatmap');
    el.modelSrc = modelUrl;
    el.src = imageUrl;
    el.resolution = 'dense';
    const levels: number[] = [];
    el.addEventListener('bagnet-dense-level', (e) => levels.push(e.detail.stride));
    const first = nextEvent(el, 'bagnet-dense-level');
    await fixture(html`<div>${el}</div>`);
    await first;
    el.remove();
    const seen = levels.length;
    // An uncancelled run reaches stride 1 within ~100 ms on this tiny model (the test above).
    await aTimeout(400);
    expect(levels.length, 'no dense level after disconnect').to.equal(seen);
    expect(levels.includes(1), 'the run never reached its final level').to.equal(false);
    // afterEach: no tensor left, model cache empty.
  });

  const errorCases: [string, () => Record<string, string>, string, RegExp][] = [
    [
      'a model URL that 404s',
      () => ({ 'model-src': '/__models__/missing/model.json', src: imageUrl }),
      'model',
      /HTTP 404/,
    ],
    [
      'a model.json that is not a BagNet',
      () => ({ 'model-src': '/__models__/not-bagnet/model.json', src: imageUrl }),
      'model',
      /has no "userDefinedMetadata\.bagnet" entry, so it is not a bagnet-vis model/,
    ],
    [
      'an image that fails to load',
      () => ({ 'model-src': modelUrl, src: '/__nowhere__/missing.png' }),
      'image',
      /could not be loaded/,
    ],
    [
      'an image smaller than q',
      () => ({ 'model-src': modelUrl, src: 'SMALL' }),
      'image',
      /smaller than the model's receptive field q = 9/,
    ],
  ];
  for (const [what, attrs, code, message] of errorCases) {
    it(`shows a readable inline error for ${what}; the page stays usable`, async () => {
      const small = await patternUrl(8, 20);
      const el = document.createElement('bagnet-heatmap');
      for (const [k, v] of Object.entries(attrs())) el.setAttribute(k, v === 'SMALL' ? small : v);
      const failed = nextEvent(el, 'bagnet-error');
      await fixture(html`<div>${el}</div>`);
      const { detail } = await failed;
      await settle(el);
      expect(detail.code).to.equal(code);
      expect(detail.message).to.match(message);
      const box = $(el, '[part="error"]');
      expect(box.textContent).to.match(message);
      expect(box.getBoundingClientRect().height).to.be.greaterThan(10);
      await expect(el).to.be.accessible();
      // Recovers when given a good input.
      el.setAttribute('model-src', modelUrl);
      el.setAttribute('src', imageUrl);
      await nextEvent(el, 'bagnet-evidence');
      await settle(el);
      expect(el.shadowRoot!.querySelector('[part="error"]')).to.equal(null);
      URL.revokeObjectURL(small);
    });
  }
});
