import { aTimeout, expect, waitUntil } from '@open-wc/testing';
import * as tf from '@tensorflow/tfjs-core';
import { BagNet, BagNetInputError } from '@bagnet-vis/core';

import { show } from '../src/index.js';
import { patternCanvas, patternUrl } from '../../elements/test/images.js';
import { tinyNet, useTestBackend } from '../../elements/test/model-server.js';
import { settle } from '../../elements/test/settle.js';

/** Counts BagNet.evidence calls while installed. */
function countRuns() {
  const original = BagNet.prototype.evidence;
  const spy = { calls: 0, restore: () => (BagNet.prototype.evidence = original) };
  BagNet.prototype.evidence = function (this: BagNet, ...args: Parameters<typeof original>) {
    spy.calls++;
    return original.apply(this, args);
  };
  return spy;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('show.explain', () => {
  let net: BagNet;
  let container: HTMLDivElement;
  let baseline: number;
  let runs: ReturnType<typeof countRuns>;

  before(async () => {
    await useTestBackend();
    net = tinyNet(5);
  });
  after(() => net.dispose());
  beforeEach(() => {
    baseline = tf.memory().numTensors;
    container = document.createElement('div');
    container.style.width = '640px';
    document.body.append(container);
    runs = countRuns();
  });
  afterEach(async () => {
    runs.restore();
    container.remove();
    await aTimeout(20); // the views release the cached evidence a microtask after they disconnect
    expect(tf.memory().numTensors, 'no tensor leak').to.equal(baseline);
  });

  it('runs the model once and shows the result in a linked explainer with three views', async () => {
    const image = patternCanvas(41, 41, 3);
    const views = await show.explain(container, net, image, {
      heatmap: { colormap: 'PiYG' },
      evidenceBar: { k: 3 },
      patchGallery: { k: 2 },
    });
    const { explainer, heatmap, evidenceBar, patchGallery } = views;
    expect(explainer.parentElement === container).to.equal(true);
    expect(runs.calls, 'one model run for the three views').to.equal(1);
    const shown = explainer.explanation.evidence!;
    expect(explainer.explanation.status).to.equal('ready');
    const expected = await net.evidence(image);
    expect(Array.from(shown.logits)).to.deep.equal(Array.from(expected.logits));
    expected.dispose();
    await waitUntil(() => patchGallery.tiles.most.length === 2, 'gallery tiles');
    await Promise.all([settle(explainer), settle(heatmap), settle(evidenceBar), settle(patchGallery)]);
    expect(heatmap.linked && evidenceBar.linked && patchGallery.linked, 'linked').to.equal(true);
    expect(heatmap.colormap).to.equal('PiYG');
    expect(evidenceBar.rows).to.have.length(3);
    expect(evidenceBar.value).to.equal(shown.topClasses(1)[0]!.index);
    await expect(explainer).to.be.accessible();
  });

  it('a second call updates the same elements; the same inputs do not run the model again', async () => {
    const first = await show.explain(container, net, patternCanvas(41, 41, 1));
    const evidence1 = first.explainer.explanation.evidence;
    const image2 = patternCanvas(49, 33, 2);
    const second = await show.explain(container, net, image2, { classIndex: 2 });
    expect(runs.calls).to.equal(2);
    for (const key of ['explainer', 'heatmap', 'evidenceBar', 'patchGallery'] as const) {
      expect(second[key] === first[key], `same ${key}`).to.equal(true);
    }
    expect(container.querySelectorAll('bagnet-explainer, bagnet-heatmap, evidence-bar, patch-gallery')).to.have.length(
      4,
    );
    const evidence2 = second.explainer.explanation.evidence!;
    expect(evidence2 === evidence1, 'new evidence').to.equal(false);
    expect([evidence2.geometry.imageHeight, evidence2.geometry.imageWidth]).to.deep.equal([33, 49]);
    await settle(second.evidenceBar);
    expect(second.evidenceBar.value).to.equal(2);
    // Same model and image: resolves with what is shown, no new run.
    await show.explain(container, net, image2);
    expect(runs.calls).to.equal(2);
    expect(second.explainer.explanation.evidence === evidence2).to.equal(true);
  });

  it('takes an image URL', async () => {
    const url = await patternUrl(33, 33, 7);
    try {
      const { explainer } = await show.explain(container, net, url);
      expect(explainer.src).to.equal(url);
      expect(explainer.explanation.evidence!.geometry.rows).to.equal(4);
    } finally {
      URL.revokeObjectURL(url);
    }
  });

  it('rejects with the run error (an image smaller than a patch), shown inline too', async () => {
    const error = await rejection(show.explain(container, net, patternCanvas(5, 5)));
    expect(error).to.be.instanceOf(BagNetInputError);
    expect(error.message).to.contain('smaller than the model');
    // Another image with the same fault (the same message) rejects too.
    expect(await rejection(show.explain(container, net, patternCanvas(5, 5, 2)))).to.be.instanceOf(BagNetInputError);
    const explainer = container.querySelector('bagnet-explainer')!;
    await settle(explainer);
    expect(explainer.shadowRoot!.querySelector('[part="error"]')?.textContent).to.contain('smaller than the model');
    // A good image afterwards clears the error.
    await show.explain(container, net, patternCanvas(33, 33));
    expect(explainer.explanation.status).to.equal('ready');
  });

  it('rejects bad arguments with BagNetInputError before mounting anything', async () => {
    const image = patternCanvas(33, 33);
    const cases: [Promise<unknown>, RegExp][] = [
      [show.explain(container, {} as BagNet, image), /show\.explain: model must be a BagNet/],
      [show.explain(container, net, undefined as never), /show\.explain: an image is needed/],
      [show.explain(container, net, image, { classIndex: 4 }), /show\.explain: Class index 4 is out of range/],
      [show.explain(container, net, image, { heatmap: { colormap: 'nope' } }), /Unknown colormap "nope"/],
    ];
    for (const [call, message] of cases) {
      const error = await rejection(call);
      expect(error, String(message)).to.be.instanceOf(BagNetInputError);
      expect(error.message).to.match(message);
    }
    expect(container.children).to.have.length(0);
    expect(runs.calls).to.equal(0);
  });

  it('is cancelled by its AbortSignal: rejects with an AbortError and stops the run', async () => {
    // Slow the run down, so that the abort lands while it is in progress.
    const slow = BagNet.prototype.evidence;
    BagNet.prototype.evidence = async function (this: BagNet, ...args: Parameters<typeof slow>) {
      await aTimeout(300);
      return slow.apply(this, args);
    };
    try {
      const controller = new AbortController();
      const image = patternCanvas(65, 65);
      const call = show.explain(container, net, image, { signal: controller.signal });
      const explainer = await waitUntil(() => container.querySelector('bagnet-explainer'), 'mounted').then(() =>
        container.querySelector('bagnet-explainer')!,
      );
      await waitUntil(() => explainer.explanation.status === 'running', 'running');
      controller.abort();
      const error = await rejection(call);
      expect(error.name).to.equal('AbortError');
      expect(explainer.image === undefined && explainer.model === undefined, 'inputs cleared').to.equal(true);
      await settle(explainer);
      expect(explainer.explanation.status).to.equal('empty');
      await aTimeout(400); // the slowed run ends (aborted) before the leak check
      // An already aborted signal: rejects at once, runs nothing.
      const runsBefore = runs.calls;
      const early = await rejection(show.explain(container, net, image, { signal: controller.signal }));
      expect(early.name).to.equal('AbortError');
      expect(runs.calls).to.equal(runsBefore);
    } finally {
      BagNet.prototype.evidence = slow;
    }
  });

  it('in a hidden container runs nothing until it is shown', async () => {
    container.style.display = 'none';
    const { explainer, heatmap } = await show.explain(container, net, patternCanvas(33, 33));
    await aTimeout(50);
    expect(runs.calls).to.equal(0);
    expect(explainer.explanation.status).to.equal('empty');
    container.style.display = '';
    await waitUntil(() => explainer.explanation.status === 'ready', 'ran once shown', { timeout: 10000 });
    expect(runs.calls).to.equal(1);
    await settle(heatmap);
    expect(heatmap.summary).to.match(/^Evidence map for/);
  });
});
