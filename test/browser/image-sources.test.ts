/**
 * Every image source a browser user has gives the same evidence, models load from a file input
 * and save through tfjs IOHandlers, and unusable images fail with typed, readable errors.
 */
import { expect } from '@open-wc/testing';
import * as tf from '@tensorflow/tfjs-core';

import { BagNet, bagnetArchitecture, loadBagNet, saveBagNet, serializeBagNet, useBackend } from '@bagnet-vis/core';
import type { BagNetImageInput } from '@bagnet-vis/core';

const W = 45;
const H = 37;

function paint(): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = W;
  c.height = H;
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(W, H);
  for (let i = 0; i < W * H; i++) img.data.set([(i * 7) % 256, (i * 13) % 256, (i * 29) % 256, 255], i * 4);
  ctx.putImageData(img, 0, 0);
  return c;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('image sources and model files in the browser', () => {
  let net: BagNet;
  before(async () => {
    await useBackend('cpu');
    net = BagNet.create(bagnetArchitecture({ q: 9, widthScale: 0.0625, blocks: [1, 1, 1, 1], numClasses: 3 }), {
      seed: 1,
    });
  });
  after(() => net.dispose());

  it('gives identical evidence from canvas, ImageData, ImageBitmap, OffscreenCanvas, <img> and tensors', async () => {
    const before = tf.memory().numTensors;
    const canvas = paint();
    const data = canvas.getContext('2d')!.getImageData(0, 0, W, H);
    const bitmap = await createImageBitmap(canvas);
    const off = new OffscreenCanvas(W, H);
    off.getContext('2d')!.putImageData(data, 0, 0);
    const img = new Image();
    img.src = canvas.toDataURL('image/png');
    await img.decode();
    // An <img> in the page, displayed smaller than its file (width attribute and CSS): the model
    // must still read the file's own W × H pixels.
    const shown = new Image(20, 15);
    shown.style.width = '11px';
    shown.src = img.src;
    document.body.append(shown);
    await shown.decode();
    const tensor = tf.browser.fromPixels(canvas);
    const sources: [string, BagNetImageInput][] = [
      ['canvas', canvas],
      ['ImageData', data],
      ['ImageBitmap', bitmap],
      ['OffscreenCanvas', off],
      ['img', img],
      ['img in the page at another size', shown],
      ['Tensor3D', tensor],
      ['raw RGBA', { data: data.data, width: W, height: H }],
    ];
    const reference = await net.evidence(canvas);
    expect([reference.geometry.rows, reference.geometry.cols]).to.deep.equal([4, 5]);
    for (const [name, source] of sources) {
      const ev = await net.evidence(source);
      expect(Array.from(ev.logitMap), name).to.deep.equal(Array.from(reference.logitMap));
      ev.dispose();
    }
    reference.dispose();
    tensor.dispose();
    bitmap.close();
    shown.remove();
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('refuses images that did not load, are too small, or are cross-origin (tainted)', async () => {
    const before = tf.memory().numTensors;
    const broken = new Image();
    broken.src = '/does-not-exist.png';
    const e1 = await rejection(net.evidence(broken));
    expect(e1.name).to.equal('BagNetInputError');
    expect(e1.message).to.match(/could not be decoded or has not loaded/);

    const small = document.createElement('canvas');
    small.width = 8;
    small.height = 30;
    const e2 = await rejection(net.evidence(small));
    expect(e2.message).to.match(/30×8 px is smaller than the model's receptive field q = 9/);

    const foreign = new Image();
    foreign.src = `${location.protocol}//127.0.0.1:${location.port}/test/fixtures/bagnet9_c10_s0_w0.125_b1111/input.png`;
    await foreign.decode();
    const tainted = document.createElement('canvas');
    tainted.width = 20;
    tainted.height = 20;
    tainted.getContext('2d')!.drawImage(foreign, 0, 0);
    const e3 = await rejection(net.evidence(tainted));
    expect(e3.name).to.equal('BagNetInputError');
    expect(e3.message).to.match(/cross-origin and taints the canvas/);
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('loads a model from a file input (model.json + shards) and saves through an IOHandler', async () => {
    const before = tf.memory().numTensors;
    const { modelJson, shards } = await serializeBagNet(net);
    const files = [
      new File([JSON.stringify(modelJson)], 'model.json'),
      ...[...shards].map(([n, b]) => new File([new Uint8Array(b)], n)),
    ];
    const loaded = await loadBagNet(files);
    const [a, b] = [await net.evidence(paint()), await loaded.evidence(paint())];
    expect(Array.from(b.logitMap)).to.deep.equal(Array.from(a.logitMap));
    a.dispose();
    b.dispose();
    loaded.dispose();

    const missing = await rejection(loadBagNet([files[0]!]));
    expect(missing.name).to.equal('BagNetFormatError');
    expect(missing.message).to.match(/Weight shard "group1-shard1of1.bin" listed in model.json is missing/);

    let saved: tf.io.ModelArtifacts | undefined;
    const result = await saveBagNet(
      net,
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    expect(result.modelArtifactsInfo.modelTopologyType).to.equal('JSON');
    expect((saved!.userDefinedMetadata as { bagnet: { receptiveField: number } }).bagnet.receptiveField).to.equal(9);
    expect(tf.memory().numTensors).to.equal(before);
  });
});
