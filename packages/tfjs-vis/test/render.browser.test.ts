import { aTimeout, expect, fixtureCleanup, waitUntil } from '@open-wc/testing';
import * as tf from '@tensorflow/tfjs-core';

import { render, BagNetDrawableError, TfjsVisMissingError } from '../src/index.js';
import { createTfjsVisLoader, resolveDrawArea } from '../src/drawable.js';
import { hasQueuedUpdates, VIEW_ATTRIBUTE } from '../src/mount.js';
import { BagNetInputError, useBackend } from '@bagnet-vis/core';
import { patternCanvas, pixel } from '../../elements/test/images.js';
import { $, settle } from '../../elements/test/settle.js';
import { knownMap } from './known-maps.js';

/** A visible container of `width` px, attached to the page. */
function box(width = 400): HTMLDivElement {
  const div = document.createElement('div');
  div.style.width = `${width}px`;
  document.body.append(div);
  return div;
}

const isRed = ([r, g, b]: number[]) => r! > g! + 60 && r! > b! + 40;
const isBlue = ([r, g, b]: number[]) => b! > r! + 40 && b! > g! + 20;

before(async () => {
  await useBackend('cpu');
});

describe('render.* into an HTMLElement', () => {
  let container: HTMLDivElement;
  let baseline: number;
  beforeEach(() => {
    baseline = tf.memory().numTensors;
    container = box();
  });
  afterEach(async () => {
    container.remove();
    fixtureCleanup();
    await aTimeout(10);
    expect(tf.memory().numTensors, 'no tensor leak').to.equal(baseline);
  });

  it('render.heatmap mounts a <bagnet-heatmap> showing the map, with the given options', async () => {
    const evidence = knownMap();
    const image = patternCanvas(33, 33);
    const el = await render.heatmap(container, evidence, { image, classIndex: 0, opacity: 0.5, width: 300 });
    await settle(el);
    expect(el.localName).to.equal('bagnet-heatmap');
    expect(el.parentElement === container, 'el.parentElement is container').to.equal(true);
    expect(el.getAttribute(VIEW_ATTRIBUTE)).to.equal('heatmap');
    expect(el.evidence === evidence, 'el.evidence is evidence').to.equal(true);
    expect(el.image === image, 'el.image is image').to.equal(true);
    expect(el.classIndex).to.equal(0);
    expect(el.opacity).to.equal(0.5);
    expect(el.style.width).to.equal('300px');
    const overlay = $<HTMLCanvasElement>(el, 'canvas.overlay');
    expect([overlay.width, overlay.height]).to.deep.equal([4, 4]);
    expect(isRed(pixel(overlay, 0, 0)), 'cell (0,0) = +4').to.equal(true);
    expect(isBlue(pixel(overlay, 0, 1)), 'cell (1,0) = −4').to.equal(true);
    expect(el.summary).to.contain('“for” (class 0');
    await expect(el).to.be.accessible();
  });

  it('a second call updates the same element in place (options left out keep their value)', async () => {
    const first = await render.heatmap(container, knownMap(), { classIndex: 0, colormap: 'PiYG' });
    const domBefore = first.shadowRoot!.querySelector('canvas.overlay');
    const next = knownMap(-1);
    const second = await render.heatmap(container, next, { classIndex: 0 });
    await settle(second);
    expect(second === first, 'second is first').to.equal(true);
    expect(container.querySelectorAll('bagnet-heatmap')).to.have.length(1);
    expect(second.evidence === next, 'second.evidence is next').to.equal(true);
    expect(second.colormap, 'kept').to.equal('PiYG');
    expect(second.shadowRoot!.querySelector('canvas.overlay'), 'same canvas').to.equal(domBefore);
    // The signs flipped: cell (0,0) is now −4, against the class.
    expect(isRed(pixel($<HTMLCanvasElement>(second, 'canvas.overlay'), 0, 0))).to.equal(false);
    // null resets the class to the top-1 class (class 1 “other”, mean 0.75).
    await render.heatmap(container, next, { classIndex: null });
    await settle(second);
    expect(second.classIndex).to.equal(undefined);
    expect(second.summary).to.contain('“other” (class 1');
  });

  it('the three render functions share a container: one element each, each reused', async () => {
    const evidence = knownMap();
    const image = patternCanvas(33, 33);
    const heat = await render.heatmap(container, evidence, { image });
    const bar = await render.evidenceBar(container, evidence, { k: 3, showProbabilities: true });
    const gallery = await render.patchGallery(container, evidence, { image, k: 2, classIndex: 0 });
    await Promise.all([settle(heat), settle(bar), settle(gallery)]);
    expect([...container.children].map((c) => c.localName)).to.deep.equal([
      'bagnet-heatmap',
      'evidence-bar',
      'patch-gallery',
    ]);
    expect(bar.rows.map((r) => r.label)).to.deep.equal(['other', 'for', 'third']);
    expect(bar.showProbabilities).to.equal(true);
    await waitUntil(() => gallery.tiles.most.length === 2, 'gallery tiles');
    expect(gallery.tiles.most.map((t) => [t.row, t.col, t.logit])).to.deep.equal([
      [0, 0, 4],
      [1, 3, 3],
    ]);
    expect(gallery.tiles.least[0]!.logit).to.equal(-4);
    // Again, with new data: same three elements.
    const next = knownMap(2);
    expect((await render.evidenceBar(container, next, { classIndex: 0 })) === bar).to.equal(true);
    expect((await render.patchGallery(container, next, { image, k: 1 })) === gallery).to.equal(true);
    expect((await render.heatmap(container, next, { image })) === heat).to.equal(true);
    expect(container.children).to.have.length(3);
    await waitUntil(() => gallery.tiles.most[0]?.logit === 8, 'gallery shows the new map');
    expect(bar.value).to.equal(0);
    expect(bar.k, 'kept').to.equal(3);
    await settle(bar);
    await expect(bar).to.be.accessible();
    await expect(gallery).to.be.accessible();
  });

  it('leaves an element of the same tag that the page placed in the container alone', async () => {
    const own = document.createElement('bagnet-heatmap');
    container.append(own);
    const el = await render.heatmap(container, knownMap());
    expect(el === own).to.equal(false);
    expect(own.evidence).to.equal(undefined);
    expect(container.querySelectorAll('bagnet-heatmap')).to.have.length(2);
  });

  it('draws nothing into a hidden container, and draws when it is shown', async () => {
    container.style.display = 'none';
    const evidence = knownMap();
    const image = patternCanvas(33, 33);
    const heat = await render.heatmap(container, evidence, { image, classIndex: 0 });
    const bar = await render.evidenceBar(container, evidence, { k: 2 });
    // A second call while hidden: its data replaces the first's, its options add to them.
    const later = knownMap(2);
    await render.heatmap(container, later, { image, colormap: 'PiYG' });
    await aTimeout(50);
    expect(heat.parentElement === container, 'mounted').to.equal(true);
    expect(hasQueuedUpdates(heat)).to.equal(true);
    expect(hasQueuedUpdates(bar)).to.equal(true);
    expect(heat.evidence, 'no data while hidden').to.equal(undefined);
    expect(bar.evidence).to.equal(undefined);
    expect(heat.summary).to.equal('Evidence map: no data.');
    expect($<HTMLCanvasElement>(heat, 'canvas.overlay').width, 'overlay not painted').to.not.equal(4);

    container.style.display = 'block';
    await waitUntil(() => heat.evidence !== undefined, 'drawn once shown', { timeout: 5000 });
    await Promise.all([settle(heat), settle(bar)]);
    expect(hasQueuedUpdates(heat)).to.equal(false);
    expect(heat.evidence === later, 'heat.evidence is later').to.equal(true);
    expect(heat.image === image, 'heat.image is image').to.equal(true);
    expect(heat.classIndex).to.equal(0);
    expect(heat.colormap).to.equal('PiYG');
    expect($<HTMLCanvasElement>(heat, 'canvas.overlay').width).to.equal(4);
    expect(bar.evidence === evidence, 'bar.evidence is evidence').to.equal(true);
    expect(bar.rows).to.have.length(2);
  });

  it('a container that is not in the page waits until it is', async () => {
    const detached = document.createElement('div');
    const el = await render.heatmap(detached, knownMap());
    expect(el.evidence).to.equal(undefined);
    container.append(detached);
    await waitUntil(() => el.evidence !== undefined, 'drawn once attached', { timeout: 5000 });
  });
});

describe('render.* bad input', () => {
  it('rejects a container that is not a tfjs-vis drawable, saying what is accepted', async () => {
    for (const bad of [undefined, null, 42, 'surface', {}, { foo: 1 }, { drawArea: 'x' }, { name: 3, tab: 'T' }]) {
      let error: unknown;
      try {
        await render.heatmap(bad as unknown as HTMLElement, knownMap());
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(bad)).to.be.instanceOf(BagNetDrawableError);
      expect((error as Error).name).to.equal('BagNetDrawableError');
      expect((error as Error).message).to.match(/^render\.heatmap: /);
      if (bad === 42 || bad === null || (typeof bad === 'object' && Object.keys(bad).length === 0)) {
        expect((error as Error).message).to.contain(
          'an HTMLElement, a visor Surface (tfvis.visor().surface({name, tab})), or surface info {name, tab}',
        );
      }
    }
  });

  it('names the package to install when {name, tab} is given without tfjs-vis', async () => {
    // What the dynamic import does in a page where @tensorflow/tfjs-vis cannot be resolved.
    const absent = createTfjsVisLoader(() =>
      Promise.reject(new TypeError('Failed to resolve module specifier "@tensorflow/tfjs-vis".')),
    );
    let error: unknown;
    try {
      await resolveDrawArea({ name: 'Evidence', tab: 'BagNet' }, 'render.heatmap', absent);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(TfjsVisMissingError);
    expect((error as Error).name).to.equal('TfjsVisMissingError');
    expect((error as Error).message).to.contain('npm install @tensorflow/tfjs-vis');
    expect((error as Error).message).to.contain('Failed to resolve module specifier');
    expect((error as Error).cause).to.be.instanceOf(TypeError);
    // An HTMLElement or a Surface never needs it.
    const div = document.createElement('div');
    expect((await resolveDrawArea(div, 'render.heatmap', absent)) === div).to.equal(true);
    expect((await resolveDrawArea({ drawArea: div }, 'render.heatmap', absent)) === div).to.equal(true);
  });

  it("uses the global tfvis of tfjs-vis's script tag before importing the package", async () => {
    const drawArea = document.createElement('div');
    const seen: unknown[] = [];
    const fake = { visor: () => ({ surface: (info: unknown) => (seen.push(info), { drawArea }) }) };
    (globalThis as { tfvis?: unknown }).tfvis = fake;
    try {
      const loader = createTfjsVisLoader(() => Promise.reject(new Error('not imported')));
      expect((await resolveDrawArea({ name: 'A', tab: 'B' }, 'render.heatmap', loader)) === drawArea).to.equal(true);
      expect(seen).to.deep.equal([{ name: 'A', tab: 'B' }]);
    } finally {
      delete (globalThis as { tfvis?: unknown }).tfvis;
    }
  });

  it('rejects bad data with BagNetInputError before touching the container', async () => {
    const container = document.createElement('div');
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => render.heatmap(container, {} as never), /render\.heatmap: evidence must be an EvidenceMap/],
      [
        () => render.heatmap(container, knownMap(), { classIndex: 3 }),
        /render\.heatmap: Class index 3 is out of range/,
      ],
      [() => render.heatmap(container, knownMap(), { colormap: 'rainbowish' }), /Unknown colormap "rainbowish"/],
      [() => render.evidenceBar(container, knownMap(), { classIndex: -1 }), /render\.evidenceBar: Class index -1/],
      [
        () => render.patchGallery(container, knownMap(), {} as never),
        /render\.patchGallery: options\.image is required/,
      ],
    ];
    for (const [call, message] of cases) {
      let error: unknown;
      try {
        await call();
      } catch (e) {
        error = e;
      }
      expect(error, String(message)).to.be.instanceOf(BagNetInputError);
      expect((error as Error).message).to.match(message);
    }
    expect(container.children).to.have.length(0);
  });
});
