import { aTimeout, expect, fixture, fixtureCleanup, html } from '@open-wc/testing';
import * as tf from '@tensorflow/tfjs-core';
import { EvidenceMap, parseMinedPatches, PatchGeometry } from '@bagnet-vis/core';
import type { BagNet, MinedPatchesFile } from '@bagnet-vis/core';

import '../define.js';
import type { PatchGalleryElement } from './gallery.element.js';
import { modelCacheStats } from '../shared/model-cache.js';
import { formatEvidence, formatShare } from '../shared/format.js';
import { patternCanvas, patternUrl } from '../../test/images.js';
import { ModelServer, tinyNet, useTestBackend } from '../../test/model-server.js';
import { nextEvent, settle, until } from '../../test/settle.js';

/** The 4 × 4 map of the heatmap tests (q = 9, stride 8, 33 × 33), class 0; class 1 = i / 10. */
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

async function knownGallery(attrs: Record<string, string> = {}, image = patternCanvas(33, 33, 4)) {
  const el = document.createElement('patch-gallery');
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.evidence = knownMap();
  el.image = image;
  await fixture(html`<div>${el}</div>`);
  await until(el, () => el.tiles.most.length > 0 || el.tiles.least.length > 0, 'tiles');
  return el;
}

const buttons = (el: PatchGalleryElement) => [
  ...el.shadowRoot!.querySelectorAll<HTMLButtonElement>('button[part~="tile"]'),
];

function pixels(canvas: HTMLCanvasElement, x = 0, y = 0, w = canvas.width, h = canvas.height): number[] {
  return [...canvas.getContext('2d', { willReadFrequently: true })!.getImageData(x, y, w, h).data];
}

describe('<patch-gallery> for one image', () => {
  it('shows the k most and least informative patches with value, rank and share', async () => {
    const el = await knownGallery({ 'class-index': '0', k: '3' });
    const ev = knownMap();
    for (const order of ['most', 'least'] as const) {
      const want = ev.topPatches(0, 3, order);
      const got = el.tiles[order];
      expect(got.map((t) => [t.rank, t.row, t.col, t.logit])).to.deep.equal(
        want.map((p) => [p.rank, p.row, p.col, p.logit]),
      );
      got.forEach((t, i) => expect(t.share).to.be.closeTo(want[i]!.share, 1e-7));
    }
    const b = buttons(el);
    expect(b).to.have.length(6);
    const first = ev.topPatches(0, 1, 'most')[0]!;
    expect(b[0]!.querySelector('[part="rank"]')!.textContent).to.equal('#1');
    expect(b[0]!.querySelector('[part="value"]')!.textContent).to.equal(formatEvidence(4));
    expect(b[0]!.querySelector('[part="share"]')!.textContent).to.equal(`${formatShare(first.share)} of evidence`);
    expect(b[0]!.textContent).to.contain('evidence for “for”, row 1, column 1');
    expect(b[3]!.textContent).to.contain('evidence against “for”, row 2, column 1');
    const headings = [...el.shadowRoot!.querySelectorAll('[part="heading"]')].map((h) => h.textContent);
    expect(headings).to.deep.equal(['Most evidence for “for”', 'Least evidence for “for”']);
  });

  it('crops each tile from the image at its true receptive field (q × q)', async () => {
    const image = patternCanvas(33, 33, 4);
    const el = await knownGallery({ 'class-index': '0', k: '3' }, image);
    for (const [i, tile] of [...el.tiles.most, ...el.tiles.least].entries()) {
      const canvas = buttons(el)[i]!.querySelector('canvas')!;
      expect([canvas.width, canvas.height]).to.deep.equal([9, 9]);
      expect(pixels(canvas), `tile ${i}`).to.deep.equal(pixels(image, tile.rect.x, tile.rect.y, 9, 9));
    }
  });

  it('attributes k, show and class-index reflect; defaults k = 5, show = both, top-1 class', async () => {
    const el = await knownGallery();
    expect(el.k).to.equal(5);
    expect(el.show).to.equal('both');
    expect(el.tiles.most[0]!.classIndex).to.equal(1);
    expect(el.tiles.most).to.have.length(5);
    el.k = 2;
    el.show = 'least';
    el.classIndex = 0;
    await until(el, () => el.tiles.least.length === 2, 'k = 2');
    expect(el.getAttribute('k')).to.equal('2');
    expect(el.getAttribute('show')).to.equal('least');
    expect(el.getAttribute('class-index')).to.equal('0');
    expect(el.shadowRoot!.querySelectorAll('[part~="section"]')).to.have.length(1);
    expect(el.tiles.least.map((t) => t.logit)).to.deep.equal([-4, -3]);
    el.setAttribute('show', 'most');
    el.setAttribute('srcs', 'a.png  b.png');
    expect(el.srcs).to.deep.equal(['a.png', 'b.png']);
    el.srcs = undefined;
    await settle(el);
    expect(el.shadowRoot!.querySelector('[part~="least"]')).to.equal(null);
  });

  it('hover / focus a tile → `input` + `bagnet-cell-hover`; click → `change` + `bagnet-cell-select`', async () => {
    const el = await knownGallery({ 'class-index': '0', k: '3' });
    const b = buttons(el);
    setTimeout(() => b[1]!.dispatchEvent(new PointerEvent('pointerenter')));
    const [hover] = await Promise.all([nextEvent(el, 'bagnet-cell-hover'), nextEvent(el, 'input')]);
    expect(hover.detail).to.include({ row: 1, col: 3, logit: 3, classIndex: 0 });
    expect(hover.detail!.rect).to.deep.equal({ x: 24, y: 8, width: 9, height: 9 });
    expect(el.value).to.include({ row: 1, col: 3 });
    setTimeout(() => b[1]!.click());
    const [select, change] = await Promise.all([nextEvent(el, 'bagnet-cell-select'), nextEvent(el, 'change')]);
    expect(select.detail).to.include({ row: 1, col: 3 });
    expect(change.target).to.equal(el);
    expect(el.selectedCell).to.deep.equal({ row: 1, col: 3 });
    await settle(el);
    expect(buttons(el)[1]!.getAttribute('aria-pressed')).to.equal('true');
    setTimeout(() => b[1]!.dispatchEvent(new PointerEvent('pointerleave')));
    expect((await nextEvent(el, 'bagnet-cell-hover')).detail).to.equal(null);
  });

  it('keyboard: focus hovers a tile, arrow keys / Home / End move between tiles, Enter (button) selects', async () => {
    const el = await knownGallery({ 'class-index': '0', k: '3' });
    const b = buttons(el);
    const hovered: (string | null)[] = [];
    el.addEventListener('bagnet-cell-hover', (e) => hovered.push(e.detail ? `${e.detail.row},${e.detail.col}` : null));
    b[0]!.focus();
    const press = (key: string) =>
      el.shadowRoot!.activeElement!.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, composed: true }));
    press('ArrowRight');
    expect(el.shadowRoot!.activeElement).to.equal(b[1]);
    press('End'); // last tile of this list
    expect(el.shadowRoot!.activeElement).to.equal(b[2]);
    press('Home');
    expect(el.shadowRoot!.activeElement).to.equal(b[0]);
    expect(hovered).to.deep.equal(['0,0', null, '1,3', null, '0,1', null, '0,0']);
    setTimeout(() => (el.shadowRoot!.activeElement as HTMLButtonElement).click());
    await nextEvent(el, 'change');
    expect(el.selectedCell).to.deep.equal({ row: 0, col: 0 });
  });

  it('shows an error for a class out of range, and passes axe', async () => {
    const el = await knownGallery({ 'class-index': '0' });
    await expect(el).to.be.accessible();
    setTimeout(() => el.setAttribute('class-index', '5'));
    const err = await nextEvent(el, 'bagnet-error');
    expect(err.detail.code).to.equal('class-index');
    await settle(el);
    expect(el.shadowRoot!.querySelector('[part="error"]')!.textContent).to.contain('out of range');
    await expect(el).to.be.accessible();
  });
});

describe('<patch-gallery> over an image set (srcs / .images)', () => {
  const server = new ModelServer();
  let modelUrl: string;
  let urls: string[];
  let net: BagNet;
  let baseline: number;

  before(async () => {
    await useTestBackend();
    server.install();
    net = tinyNet(7);
    modelUrl = await server.addModel('miner', net);
    urls = await Promise.all([patternUrl(41, 41, 1), patternUrl(33, 49, 2), patternUrl(49, 33, 3)]);
  });
  after(() => {
    server.uninstall();
    urls.forEach((u) => URL.revokeObjectURL(u));
    net.dispose();
  });
  beforeEach(() => {
    baseline = tf.memory().numTensors;
  });
  afterEach(async () => {
    fixtureCleanup();
    await aTimeout(20);
    expect(modelCacheStats()).to.deep.equal([]);
    expect(tf.memory().numTensors, 'no tensor leak').to.equal(baseline);
  });

  /** The expected top k over the set: every image evaluated, patches pooled and ranked by logit. */
  async function bruteForce(images: (string | HTMLCanvasElement)[], classIndex: number, k: number) {
    const pooled: { imageIndex: number; row: number; col: number; logit: number }[] = [];
    for (const [i, src] of images.entries()) {
      let image: HTMLImageElement | HTMLCanvasElement;
      if (typeof src === 'string') {
        image = new Image();
        image.src = src;
        await image.decode();
      } else image = src;
      const ev = await net.evidence(image);
      const map = ev.classMap(classIndex);
      map.forEach((logit, j) =>
        pooled.push({ imageIndex: i, row: Math.floor(j / ev.geometry.cols), col: j % ev.geometry.cols, logit }),
      );
      ev.dispose();
    }
    const most = [...pooled].sort((a, b) => b.logit - a.logit).slice(0, k);
    const least = [...pooled].sort((a, b) => a.logit - b.logit).slice(0, k);
    return { most, least };
  }

  it('works from attributes alone for one image (model-src + src)', async () => {
    const el = document.createElement('patch-gallery');
    el.setAttribute('model-src', modelUrl);
    el.setAttribute('src', urls[0]!);
    el.setAttribute('k', '2');
    const ready = nextEvent(el, 'bagnet-evidence');
    await fixture(html`<div>${el}</div>`);
    const { detail } = await ready;
    await until(el, () => el.tiles.most.length === 2, 'tiles');
    const c = detail.classIndex;
    const want = detail.evidence.topPatches(c, 2, 'most');
    expect(el.tiles.most.map((t) => [t.row, t.col, t.logit])).to.deep.equal(want.map((p) => [p.row, p.col, p.logit]));
    expect(el.tiles.most[0]!.imageIndex).to.equal(undefined);
  });

  it('mines the top patches of a class across the set, one image at a time', async () => {
    const el = await fixture<PatchGalleryElement>(
      html`<patch-gallery model-src=${modelUrl} srcs=${urls.join(' ')} class-index="2" k="4"></patch-gallery>`,
    );
    await until(el, () => el.tiles.most.length === 4 && !el.shadowRoot!.querySelector('progress'), 'mined', 30000);
    const want = await bruteForce(urls, 2, 4);
    const key = (t: { imageIndex?: number; row: number; col: number }) => `${t.imageIndex}:${t.row},${t.col}`;
    expect(el.tiles.most.map(key)).to.deep.equal(want.most.map(key));
    expect(el.tiles.least.map(key)).to.deep.equal(want.least.map(key));
    el.tiles.most.forEach((t, i) => expect(t.logit).to.be.closeTo(want.most[i]!.logit, 1e-5));
    expect(el.tiles.most.map((t) => t.rank)).to.deep.equal([1, 2, 3, 4]);
    const source = el.shadowRoot!.querySelector('[part="source"]')!.textContent!;
    expect(source).to.equal(`image ${want.most[0]!.imageIndex + 1}`);
    expect(el.shadowRoot!.querySelector('[part="heading"]')!.textContent).to.equal('Most evidence for “car”');
    // Hover carries the image index.
    setTimeout(() => buttons(el)[0]!.dispatchEvent(new PointerEvent('pointerenter')));
    const hover = await nextEvent(el, 'bagnet-cell-hover');
    expect(hover.detail!.imageIndex).to.equal(want.most[0]!.imageIndex);
    await expect(el).to.be.accessible();
  });

  it('.images (canvases) with .model; defaults to the first image’s top class; skips bad images with an inline error', async () => {
    const images = [patternCanvas(41, 33, 5), patternCanvas(5, 5, 6), patternCanvas(33, 41, 7)];
    const el = document.createElement('patch-gallery');
    el.model = net;
    el.images = images;
    el.k = 3;
    const error = nextEvent(el, 'bagnet-error');
    await fixture(html`<div>${el}</div>`);
    const { detail } = await error;
    expect(detail.code).to.equal('image');
    expect(detail.message).to.contain('Image #2 of the set was skipped');
    expect(detail.message).to.contain('smaller than the model');
    await until(el, () => el.tiles.most.length === 3 && !el.shadowRoot!.querySelector('progress'), 'mined', 30000);
    const first = await net.evidence(images[0]!);
    const classIndex = first.topClasses(1)[0]!.index;
    first.dispose();
    expect(el.tiles.most[0]!.classIndex).to.equal(classIndex);
    const want = await bruteForce([images[0]!, images[2]!], classIndex, 3);
    expect(el.tiles.most.map((t) => t.logit)).to.deep.equal(want.most.map((t) => t.logit));
    expect(el.tiles.most.every((t) => t.imageIndex === 0 || t.imageIndex === 2)).to.equal(true);
    // Each tile is cut from its own image at its receptive field, with its share in that image.
    for (const [i, tile] of [...el.tiles.most, ...el.tiles.least].entries()) {
      const canvas = buttons(el)[i]!.querySelector('canvas')!;
      const { x, y, width, height } = tile.rect;
      expect(pixels(canvas), `tile ${i}`).to.deep.equal(pixels(images[tile.imageIndex!]!, x, y, width, height));
      const ev = await net.evidence(images[tile.imageIndex!]!);
      const same = ev
        .topPatches(tile.classIndex, ev.geometry.size)
        .find((p) => p.row === tile.row && p.col === tile.col)!;
      expect(tile.share).to.be.closeTo(same.share, 1e-6);
      ev.dispose();
    }
    expect(el.shadowRoot!.querySelector('[part="error"]')!.textContent).to.contain('Image #2');
  });

  it('a new set cancels the mining in progress; disconnecting mid-run releases everything', async () => {
    const el = await fixture<PatchGalleryElement>(
      html`<patch-gallery model-src=${modelUrl} srcs=${urls.join(' ')} class-index="1"></patch-gallery>`,
    );
    await until(el, () => el.shadowRoot!.querySelector('progress') !== null, 'mining started');
    el.srcs = [urls[2]!];
    await until(el, () => el.tiles.most.length === 5 && !el.shadowRoot!.querySelector('progress'), 'mined');
    expect(el.tiles.most.every((t) => t.imageIndex === 0)).to.equal(true);
    el.srcs = [...urls];
    await aTimeout(1);
    el.remove();
  });
});

describe('<patch-gallery> showing a mined-patches file', () => {
  /** Written by `bagnet mine` over the shipped samples with the default model (test/node/cli-mine.test.ts keeps it fresh). */
  const MINED = '/packages/models/samples/mined.json';

  async function minedFile(): Promise<MinedPatchesFile> {
    return parseMinedPatches(await (await fetch(MINED)).text(), MINED);
  }

  async function imagePixels(url: string, x: number, y: number, size: number): Promise<number[]> {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(img, 0, 0);
    return [...ctx.getImageData(x, y, size, size).data];
  }

  it('mined-src: the class patches of the file, cut from their images, each tile a link to its image', async () => {
    const file = await minedFile();
    const el = await fixture<PatchGalleryElement>(
      html`<patch-gallery mined-src=${MINED} class-index="7" k="3"></patch-gallery>`,
    );
    await until(el, () => el.tiles.most.length === 3 && el.tiles.least.length === 3, 'mined tiles');
    const record = file.results.find((r) => r.classIndex === 7)!;
    for (const order of ['most', 'least'] as const) {
      expect(el.tiles[order].map((t) => [t.rank, t.row, t.col, t.logit, t.imageIndex])).to.deep.equal(
        record[order].slice(0, 3).map((p, i) => [i + 1, p.row, p.col, p.logit, p.source]),
      );
    }
    const links = [...el.shadowRoot!.querySelectorAll<HTMLAnchorElement>('a[part~="tile"]')];
    expect(links.length).to.equal(6);
    const first = record.most[0]!;
    expect(links[0]!.href).to.equal(new URL(first.image, new URL(MINED, location.href)).href);
    expect(links[0]!.textContent).to.contain(first.image);
    expect(el.shadowRoot!.textContent).to.contain('Most evidence for “Sneaker”');
    // The crop is the image's own pixels at the patch rectangle (the samples were run at their size).
    const canvas = el.shadowRoot!.querySelector<HTMLCanvasElement>('canvas[data-tile="0"]')!;
    expect(pixels(canvas)).to.deep.equal(await imagePixels(links[0]!.href, first.x, first.y, first.size));
    await expect(el).to.be.accessible();
  });

  it('.mined: a parsed file; a class the file lacks is an inline error, then a good class', async () => {
    const file = await minedFile();
    const some = {
      ...file,
      run: { ...file.run, classes: [2] },
      results: file.results.filter((r) => r.classIndex === 2),
    };
    const el = document.createElement('patch-gallery');
    el.classIndex = 5;
    el.k = 2;
    // Paths are relative to the page for a .mined file: rebase them on the file's folder.
    el.mined = {
      ...some,
      results: some.results.map((r) => ({
        ...r,
        most: r.most.map((p) => ({ ...p, image: `/packages/models/samples/${p.image}` })),
        least: r.least.map((p) => ({ ...p, image: `/packages/models/samples/${p.image}` })),
      })),
    };
    await fixture(html`<div>${el}</div>`);
    await until(el, () => el.shadowRoot!.querySelector('[part="error"]') !== null, 'error');
    expect(el.shadowRoot!.querySelector('[part="error"]')!.textContent).to.contain(
      'class-index 5 is not in the mined file; it holds classes 2.',
    );
    el.classIndex = 2;
    await until(el, () => el.tiles.most.length === 2, 'tiles of class 2');
    expect(el.shadowRoot!.querySelector('[part="error"]')).to.equal(null);
    expect(el.tiles.most.map((t) => t.logit)).to.deep.equal(some.results[0]!.most.slice(0, 2).map((p) => p.logit));
    expect(el.shadowRoot!.querySelector<HTMLAnchorElement>('a[part~="tile"]')!.href).to.match(
      /\/packages\/models\/samples\/test-\d+-[a-z-]+\.png$/,
    );
  });
});
