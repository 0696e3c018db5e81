import { aTimeout, expect, fixture, fixtureCleanup, html } from '@open-wc/testing';
import * as tf from '@tensorflow/tfjs-core';
import { BagNet } from '@bagnet-vis/core';

import '../define.js';
import type { BagNetHeatmapElement } from '../heatmap/heatmap.element.js';
import type { EvidenceBarElement } from '../evidence-bar/evidence-bar.element.js';
import type { PatchGalleryElement } from '../gallery/gallery.element.js';
import { modelCacheStats } from '../shared/model-cache.js';
import { patternCanvas, patternUrl } from '../../test/images.js';
import { ModelServer, tinyNet, useTestBackend } from '../../test/model-server.js';
import { $, nextEvent, settle, until } from '../../test/settle.js';

const text = (el: Element, selector: string) =>
  (el.shadowRoot!.querySelector(selector)?.textContent ?? '').replace(/\s+/g, ' ').trim();

/** Counts BagNet.evidence calls while installed. */
function countEvidenceCalls() {
  const original = BagNet.prototype.evidence;
  const spy = { calls: 0, restore: () => (BagNet.prototype.evidence = original) };
  BagNet.prototype.evidence = function (this: BagNet, ...args: Parameters<typeof original>) {
    spy.calls++;
    return original.apply(this, args);
  };
  return spy;
}

describe('<bagnet-explainer>', () => {
  const server = new ModelServer();
  let modelUrl: string;
  let imageUrl: string;
  let baseline: number;

  before(async () => {
    await useTestBackend();
    server.install();
    const net = tinyNet(13);
    modelUrl = await server.addModel('explainer', net);
    net.dispose();
    imageUrl = await patternUrl(49, 49, 21);
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
    await aTimeout(20);
    expect(modelCacheStats(), 'model cache empty').to.deep.equal([]);
    expect(tf.memory().numTensors, 'no tensor leak').to.equal(baseline);
  });

  async function explainer(attrs = '') {
    const spy = countEvidenceCalls();
    try {
      const ex = document.createElement('bagnet-explainer');
      ex.setAttribute('model-src', modelUrl);
      ex.setAttribute('src', imageUrl);
      for (const a of attrs.split(/\s+/).filter(Boolean)) {
        const [k, v] = a.split('=') as [string, string];
        ex.setAttribute(k, v);
      }
      ex.innerHTML =
        '<bagnet-heatmap></bagnet-heatmap><evidence-bar k="4"></evidence-bar><patch-gallery k="3"></patch-gallery>';
      const ready = nextEvent(ex, 'bagnet-evidence');
      await fixture(html`<div style="width: 600px">${ex}</div>`);
      const { detail } = await ready;
      const heatmap = ex.querySelector('bagnet-heatmap')!;
      const bar = ex.querySelector('evidence-bar')!;
      const gallery = ex.querySelector('patch-gallery')!;
      await until(ex, () => gallery.tiles.most.length === 3, 'gallery tiles');
      await Promise.all([settle(heatmap), settle(bar), settle(gallery)]);
      return { ex, heatmap, bar, gallery, detail, calls: spy.calls };
    } finally {
      spy.restore();
    }
  }

  it('runs the model once and shares model, image and evidence with its children via context', async () => {
    const { ex, heatmap, bar, gallery, detail, calls } = await explainer();
    expect(calls, 'one BagNet.evidence for three views').to.equal(1);
    expect(server.count('explainer/model.json')).to.be.greaterThan(0);
    const top = detail.evidence.topClasses(1)[0]!;
    expect(detail.classIndex).to.equal(top.index);
    expect(ex.explanation.evidence).to.equal(detail.evidence);
    for (const view of [heatmap, bar, gallery]) expect(view.linked, view.localName).to.equal(true);
    expect(heatmap.summary).to.contain(`“${top.label}” (class ${top.index}`);
    expect(bar.value).to.equal(top.index);
    expect(bar.rows).to.have.length(4);
    expect(gallery.tiles.most[0]!.classIndex).to.equal(top.index);
    expect($<HTMLCanvasElement>(heatmap, 'canvas.overlay').width).to.equal(detail.evidence.geometry.cols);
    // The children do not evaluate anything themselves, nor announce evidence.
    expect(modelCacheStats()).to.have.length(1);
    expect(modelCacheStats()[0]!.refs).to.equal(1);
    await expect(ex).to.be.accessible();
  });

  it('hover a heatmap cell → the gallery and the bars follow', async () => {
    const { ex, heatmap, bar, gallery } = await explainer();
    const cells = $(heatmap, '.cells');
    const r = cells.getBoundingClientRect();
    cells.dispatchEvent(
      new PointerEvent('pointermove', {
        clientX: r.left + (20.5 / 49) * r.width, // cell (1, 2): x = 16…25, y = 8…17
        clientY: r.top + (12.5 / 49) * r.height,
        bubbles: true,
      }),
    );
    await Promise.all([settle(ex), settle(gallery), settle(bar)]);
    expect(ex.hoveredCell).to.deep.equal({ row: 1, col: 2 });
    expect(text(gallery, '[part="linked-cell"]')).to.match(
      /^Hovered patch \(row 2, column 3\): [+\u2212][\d.]+, rank \d+ of 36 for “\w+”\.$/,
    );
    expect(text(bar, '[part="distribution"]')).to.contain('Hovered patch (row 2, column 3)');
    cells.dispatchEvent(new PointerEvent('pointerleave'));
    await Promise.all([settle(ex), settle(gallery)]);
    expect(ex.hoveredCell).to.equal(null);
    expect(gallery.shadowRoot!.querySelector('[part="linked-cell"]')).to.equal(null);
  });

  it('pick a class in the bars → the explainer, heatmap and gallery follow (no re-run)', async () => {
    const spy = countEvidenceCalls();
    try {
      const { ex, heatmap, bar, gallery, detail } = await explainer();
      const other = detail.evidence.topClasses(4)[2]!;
      const row = bar.shadowRoot!.querySelector<HTMLElement>(`[data-class="${other.index}"]`)!;
      setTimeout(() => row.click());
      const change = await nextEvent(bar, 'change');
      expect((change.target as EvidenceBarElement).value).to.equal(other.index);
      await Promise.all([settle(ex), settle(heatmap), settle(bar)]);
      await until(gallery, () => gallery.tiles.most[0]?.classIndex === other.index, 'gallery follows');
      expect(ex.classIndex).to.equal(other.index);
      expect(ex.getAttribute('class-index')).to.equal(String(other.index));
      expect(heatmap.summary).to.contain(`“${other.label}” (class ${other.index}`);
      expect(text(gallery, '[part="heading"]')).to.equal(`Most evidence for “${other.label}”`);
      expect(spy.calls, 'class switches never re-run the model').to.equal(1);
      // The explainer's class-index drives the views, too.
      const first = detail.evidence.topClasses(4)[3]!;
      ex.classIndex = first.index;
      await Promise.all([settle(ex), settle(heatmap), settle(bar)]);
      expect(bar.value).to.equal(first.index);
      expect(heatmap.summary).to.contain(`(class ${first.index}`);
    } finally {
      spy.restore();
    }
  });

  it('hover / click a gallery tile → the heatmap outlines / selects its cell', async () => {
    const { ex, heatmap, gallery } = await explainer();
    const tile = gallery.tiles.most[0]!;
    const button = gallery.shadowRoot!.querySelector<HTMLButtonElement>('button')!;
    button.dispatchEvent(new PointerEvent('pointerenter'));
    await Promise.all([settle(ex), settle(heatmap)]);
    const box = $(heatmap, '[part="receptive-field"]');
    expect(parseFloat(box.style.left)).to.be.closeTo((100 * tile.rect.x) / 49, 1e-3);
    expect(parseFloat(box.style.top)).to.be.closeTo((100 * tile.rect.y) / 49, 1e-3);
    button.click();
    await Promise.all([settle(ex), settle(heatmap), settle(gallery)]);
    expect(ex.selectedCell).to.deep.equal({ row: tile.row, col: tile.col });
    expect(heatmap.value).to.include({ row: tile.row, col: tile.col });
    expect(heatmap.shadowRoot!.querySelector('[part="selection"]')).to.not.equal(null);
    expect(button.getAttribute('aria-pressed')).to.equal('true');
    // Keyboard selection in the heatmap updates the gallery's pressed tile.
    const cells = $(heatmap, '.cells');
    cells.focus();
    cells.dispatchEvent(new KeyboardEvent('keydown', { key: 'Home', ctrlKey: true, bubbles: true }));
    cells.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await Promise.all([settle(ex), settle(gallery)]);
    expect(ex.selectedCell).to.deep.equal({ row: 0, col: 0 });
    expect(button.getAttribute('aria-pressed')).to.equal(tile.row === 0 && tile.col === 0 ? 'true' : 'false');
  });

  it('latest image wins: a newer src cancels the older run', async () => {
    const [a, b] = await Promise.all([patternUrl(41, 41, 31), patternUrl(57, 33, 32)]);
    const ex = document.createElement('bagnet-explainer');
    ex.setAttribute('model-src', modelUrl);
    ex.innerHTML = '<bagnet-heatmap></bagnet-heatmap>';
    const seen: string[] = [];
    ex.addEventListener('bagnet-evidence', (e) =>
      seen.push(`${e.detail.evidence.geometry.imageWidth}×${e.detail.evidence.geometry.imageHeight}`),
    );
    await fixture(html`<div>${ex}</div>`);
    ex.src = a;
    await aTimeout(0);
    ex.src = b;
    await until(ex, () => seen.length > 0, 'evidence');
    await aTimeout(100);
    expect(seen).to.deep.equal(['57×33']);
    URL.revokeObjectURL(a);
    URL.revokeObjectURL(b);
  });

  it('100 class switches and 20 image changes through the explainer leave no tensors', async () => {
    const { ex, heatmap } = await explainer();
    for (let i = 0; i < 100; i++) {
      ex.classIndex = i % 4;
      await ex.updateComplete;
    }
    const urls: string[] = [];
    for (let i = 0; i < 20; i++) {
      const url = await patternUrl(33 + (i % 2) * 8, 41, 40 + i);
      urls.push(url);
      ex.src = url;
      await nextEvent(ex, 'bagnet-evidence');
    }
    await settle(heatmap);
    expect($<HTMLCanvasElement>(heatmap, 'canvas.overlay').height).to.equal(5);
    urls.forEach((u) => URL.revokeObjectURL(u));
  });

  it('disconnected mid-run releases the model and all tensors', async () => {
    server.delay = 20;
    const ex = document.createElement('bagnet-explainer');
    ex.setAttribute('model-src', modelUrl);
    ex.setAttribute('src', imageUrl);
    let done = false;
    ex.addEventListener('bagnet-evidence', () => (done = true));
    await fixture(html`<div>${ex}</div>`);
    await aTimeout(30);
    ex.remove();
    await aTimeout(150);
    expect(done).to.equal(false);
  });

  it('without children shows a heatmap, evidence bars and a patch gallery', async () => {
    const ex = document.createElement('bagnet-explainer');
    ex.setAttribute('model-src', modelUrl);
    ex.setAttribute('src', imageUrl);
    const ready = nextEvent(ex, 'bagnet-evidence');
    await fixture(html`<div style="width: 700px">${ex}</div>`);
    await ready;
    await settle(ex);
    const heatmap = $<BagNetHeatmapElement>(ex, 'bagnet-heatmap');
    const gallery = $<PatchGalleryElement>(ex, 'patch-gallery');
    await until(gallery, () => gallery.tiles.most.length > 0, 'default gallery');
    await settle(heatmap);
    expect(heatmap.linked).to.equal(true);
    expect($<EvidenceBarElement>(ex, 'evidence-bar').rows.length).to.be.greaterThan(0);
    await expect(ex).to.be.accessible();
  });

  it('.model + .image properties and a precomputed .evidence', async () => {
    const net = tinyNet(17);
    const image = patternCanvas(41, 41, 3);
    const ex = document.createElement('bagnet-explainer');
    ex.model = net;
    ex.image = image;
    ex.innerHTML = '<evidence-bar></evidence-bar>';
    const ready = nextEvent(ex, 'bagnet-evidence');
    await fixture(html`<div>${ex}</div>`);
    const { detail } = await ready;
    const ex2 = document.createElement('bagnet-explainer');
    ex2.evidence = detail.evidence;
    ex2.image = image;
    ex2.innerHTML = '<evidence-bar></evidence-bar>';
    const ready2 = nextEvent(ex2, 'bagnet-evidence');
    await fixture(html`<div>${ex2}</div>`);
    expect((await ready2).detail.evidence).to.equal(detail.evidence);
    const bar = ex2.querySelector('evidence-bar')!;
    await settle(bar);
    expect(bar.rows.length).to.equal(4);
    fixtureCleanup();
    await aTimeout(10);
    expect(net.isDisposed).to.equal(false);
    net.dispose();
  });

  it('errors show inline in the explainer (model 404, class out of range), children stay quiet', async () => {
    const ex = document.createElement('bagnet-explainer');
    ex.setAttribute('model-src', '/__models__/nothing/model.json');
    ex.setAttribute('src', imageUrl);
    ex.innerHTML = '<bagnet-heatmap></bagnet-heatmap>';
    const failed = nextEvent(ex, 'bagnet-error');
    await fixture(html`<div>${ex}</div>`);
    const { detail } = await failed;
    expect(detail.code).to.equal('model');
    expect(detail.message).to.contain('HTTP 404');
    await settle(ex);
    expect(text(ex, '[part="error"]')).to.contain('HTTP 404');
    const heatmap = ex.querySelector('bagnet-heatmap')!;
    await settle(heatmap);
    expect(heatmap.shadowRoot!.querySelector('[part="error"]')).to.equal(null);
    await expect(ex).to.be.accessible();
    ex.setAttribute('model-src', modelUrl);
    ex.setAttribute('class-index', '12');
    const err = await nextEvent(ex, 'bagnet-error');
    expect(err.detail.code).to.equal('class-index');
    await settle(ex);
    expect(text(ex, '[part="error"]')).to.contain('Class index 12 is out of range');
    await settle(heatmap);
    expect(heatmap.shadowRoot!.querySelector('[part="error"]')).to.equal(null);
    expect(heatmap.summary).to.match(/^Evidence map for/);
  });
});
