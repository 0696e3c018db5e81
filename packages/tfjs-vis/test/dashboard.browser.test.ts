/**
 * The tfjs-vis dashboard (demos/tfjs-vis) with the real default model: tfjs-vis's model summary and
 * training curves beside our views, updated in place for a second image.
 */
import { aTimeout, expect, waitUntil } from '@open-wc/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfvis from '@tensorflow/tfjs-vis';
import { loadBagNet } from '@bagnet-vis/core';
import type { BagNet } from '@bagnet-vis/core';

import { showImage, showModel, SURFACES } from '../../../demos/tfjs-vis/dashboard.js';
import type { TrainingLog } from '../../../demos/tfjs-vis/dashboard.js';
import { useTestBackend } from '../../elements/test/model-server.js';
import { settle } from '../../elements/test/settle.js';

async function image(file: string): Promise<HTMLImageElement> {
  const img = new Image();
  img.src = `/packages/models/samples/${file}`;
  await img.decode();
  return img;
}

const drawArea = (surface: { name: string; tab: string }) => tfvis.visor().surface(surface).drawArea;

describe('tfjs-vis dashboard (demos/tfjs-vis)', () => {
  let net: BagNet;
  before(async () => {
    await useTestBackend();
    net = await loadBagNet('/packages/models/default/model.json');
  });
  after(() => {
    net.dispose();
    tfvis.visor().close();
  });

  it("shows tfjs-vis's model summary and training curves beside our views, updated in place", async () => {
    const baseline = tf.memory().numTensors;
    const log = (await (await fetch('/packages/models/default/training-log.json')).json()) as TrainingLog;
    await showModel(tfvis, net, log);
    const summaryRows = drawArea(SURFACES.summary).querySelectorAll('tbody tr, tr');
    expect(summaryRows.length, 'one row per layer').to.be.greaterThan(10);
    expect(drawArea(SURFACES.summary).textContent).to.contain('# Of Params');
    await waitUntil(() => drawArea(SURFACES.loss).querySelector('canvas, svg') !== null, 'loss chart');

    const bag = await image('test-00034-bag.png');
    const first = await showImage(net, bag);
    tfvis.visor().setActiveTab('Evidence');
    const heatmap = drawArea(SURFACES.heatmap).querySelector('bagnet-heatmap')!;
    const bar = drawArea(SURFACES.evidenceBar).querySelector('evidence-bar')!;
    await waitUntil(() => heatmap.evidence === first, 'heatmap drawn when the Evidence tab shows');
    await settle(bar);
    expect(bar.rows[0]!.label).to.equal('Bag');
    expect(heatmap.summary).to.contain('“Bag”');

    const trouser = await image('test-00041-trouser.png');
    const second = await showImage(net, trouser);
    first.dispose();
    expect(drawArea(SURFACES.heatmap).querySelector('bagnet-heatmap') === heatmap, 'same heatmap').to.equal(true);
    await waitUntil(() => heatmap.evidence === second, 'heatmap updated');
    await settle(bar);
    expect(bar.rows[0]!.label).to.equal('Trouser');
    tfvis.visor().setActiveTab('Explain');
    const explainer = drawArea(SURFACES.explain).querySelector('bagnet-explainer')!;
    // The Explain tab was hidden during the second call: it catches up when shown.
    await waitUntil(
      () => explainer.explanation.status === 'ready' && explainer.explanation.image === trouser,
      'explained the second image once its tab is shown',
    );
    expect(explainer.explanation.evidence!.topClasses(1)[0]!.label).to.equal('Trouser');
    second.dispose();
    explainer.remove(); // releases the cached evidence of show.explain
    await aTimeout(20);
    expect(tf.memory().numTensors, 'no tensor leak').to.equal(baseline);
  });
});
