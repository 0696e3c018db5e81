/**
 * The render and show functions in tfjs-vis's real visor: Surfaces, {name, tab} surface info,
 * hidden tabs, and tfjs-vis's own functions drawing beside ours.
 */
import { aTimeout, expect, waitUntil } from '@open-wc/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfvis from '@tensorflow/tfjs-vis';
import type { BagNet } from '@bagnet-vis/core';

import { render, show } from '../src/index.js';
import { isShown } from '../src/mount.js';
import { patternCanvas } from '../../elements/test/images.js';
import { tinyNet, useTestBackend } from '../../elements/test/model-server.js';
import { $, settle } from '../../elements/test/settle.js';
import { knownMap } from './known-maps.js';

/** Waits for the visor (preact) to apply a state change. */
const nextFrames = async () => {
  for (let i = 0; i < 3; i++) await new Promise((r) => requestAnimationFrame(r));
};

describe('render.* and show.* in the tfjs-vis visor', () => {
  let net: BagNet;
  let baseline: number;
  before(async () => {
    await useTestBackend();
    net = tinyNet(3);
  });
  after(() => {
    net.dispose();
    tfvis.visor().close();
  });
  beforeEach(() => {
    baseline = tf.memory().numTensors;
  });
  afterEach(async () => {
    await aTimeout(20);
    expect(tf.memory().numTensors, 'no tensor leak').to.equal(baseline);
  });

  it('draws into a Surface from tfvis.visor().surface()', async () => {
    const surface = tfvis.visor().surface({ name: 'Heatmap', tab: 'Evidence' });
    await nextFrames();
    const evidence = knownMap();
    const el = await render.heatmap(surface, evidence, { image: patternCanvas(33, 33), classIndex: 0 });
    await settle(el);
    expect(el.parentElement === surface.drawArea, 'in the drawArea').to.equal(true);
    expect(el.evidence === evidence).to.equal(true);
    expect($<HTMLCanvasElement>(el, 'canvas.overlay').width).to.equal(4);
    expect(el.getBoundingClientRect().width).to.be.greaterThan(100);
  });

  it('resolves {name, tab} to the visor surface tfjs-vis itself uses, and reuses the element', async () => {
    const info = { name: 'Evidence bars', tab: 'Evidence' };
    const bar = await render.evidenceBar(info, knownMap(), { k: 3 });
    const drawArea = tfvis.visor().surface(info).drawArea;
    expect(bar.parentElement === drawArea, 'in the surface tfjs-vis returns for the same name and tab').to.equal(true);
    // tfjs-vis's own render functions draw beside ours, on the same tab.
    await tfvis.render.barchart({ name: 'Logits (tfjs-vis)', tab: 'Evidence' }, [
      { index: 0, value: 1 },
      { index: 1, value: 2 },
    ]);
    const again = await render.evidenceBar(info, knownMap(2), { k: 2 });
    expect(again === bar, 'same element').to.equal(true);
    expect(drawArea.querySelectorAll('evidence-bar')).to.have.length(1);
    await settle(bar);
    expect(bar.rows).to.have.length(2);
  });

  it('waits for a hidden tab to be shown before drawing', async () => {
    const hidden = { name: 'Later', tab: 'Hidden' };
    const surface = tfvis.visor().surface(hidden);
    tfvis.visor().surface({ name: 'Now', tab: 'Shown' }); // a new tab becomes the active one
    await nextFrames();
    expect(isShown(surface.drawArea), 'the Hidden tab is hidden').to.equal(false);
    const evidence = knownMap();
    const heat = await render.heatmap(hidden, evidence);
    const { explainer } = await show.explain(hidden, net, patternCanvas(33, 33));
    await aTimeout(50);
    expect(heat.evidence, 'not drawn while hidden').to.equal(undefined);
    expect(explainer.explanation.status, 'not run while hidden').to.equal('empty');

    tfvis.visor().setActiveTab('Hidden');
    await waitUntil(() => heat.evidence === evidence, 'drawn when the tab is shown', { timeout: 5000 });
    await waitUntil(() => explainer.explanation.status === 'ready', 'run when the tab is shown', { timeout: 10000 });
    await settle(heat);
    expect($<HTMLCanvasElement>(heat, 'canvas.overlay').width).to.equal(4);
    expect(heat.getBoundingClientRect().width).to.be.greaterThan(100);
    // Leave the views' cached evidence to be released (for the leak check).
    explainer.remove();
  });
});
