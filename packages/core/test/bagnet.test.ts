import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

import {
  BagNet,
  BagNetAbortError,
  bagnetArchitecture,
  BagNetFormatError,
  BagNetInputError,
  loadBagNet,
} from '@bagnet-vis/core';
import { loadBagNetFromDisk, saveBagNetToDisk } from '@bagnet-vis/core/node';

import { noLeaks } from '../../../test/helpers/leaks.js';
import { seededImage } from '../../../test/helpers/images.js';

const arch = bagnetArchitecture({ q: 17, widthScale: 0.0625, blocks: [1, 1, 1, 1], numClasses: 5 });

const image = seededImage;

function crop(img: ReturnType<typeof image>, y: number, x: number, h: number, w: number) {
  const out = new Uint8Array(h * w * 3);
  for (let r = 0; r < h; r++)
    out.set(img.data.subarray(((y + r) * img.width + x) * 3, ((y + r) * img.width + x + w) * 3), r * w * 3);
  return { data: out, width: w, height: h };
}

describe('BagNet', () => {
  let net: BagNet;
  let dir: string;
  before(async () => {
    await tf.setBackend('cpu');
    net = BagNet.create(arch, { seed: 3, labels: ['a', 'b', 'c', 'd', 'e'] });
    dir = mkdtempSync(join(tmpdir(), 'bagnet-core-'));
  });
  after(() => {
    net.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scores every patch on its own: map cell (i, j) equals the model run on that q×q crop', async () => {
    await noLeaks(async () => {
      const img = image(57, 66);
      const ev = await net.evidence(img);
      assert.equal(ev.geometry.rows, Math.floor((57 - 17) / 8) + 1);
      assert.equal(ev.geometry.cols, Math.floor((66 - 17) / 8) + 1);
      const scale = Math.max(...Array.from(ev.logitMap, Math.abs));
      for (const [i, j] of [
        [0, 0],
        [2, 3],
        [ev.geometry.rows - 1, ev.geometry.cols - 1],
      ] as const) {
        const r = ev.geometry.cellRect(i, j);
        const single = await net.evidence(crop(img, r.y, r.x, r.height, r.width));
        assert.equal(single.geometry.size, 1);
        for (let c = 0; c < 5; c++)
          assert.ok(Math.abs(single.logits[c]! - ev.value(i, j, c)) <= 1e-5 * scale, `cell ${i},${j} class ${c}`);
        single.dispose();
      }
      ev.dispose();
    });
  });

  it('pixels no patch covers do not change the result', async () => {
    await noLeaks(async () => {
      const img = image(40, 40); // q = 17: rows 0..2 cover pixels 0..32; 33..39 unused
      const other = { ...img, data: img.data.slice() };
      for (let y = 33; y < 40; y++)
        for (let x = 0; x < 40; x++) other.data.fill(255, (y * 40 + x) * 3, (y * 40 + x) * 3 + 3);
      const [a, b] = [await net.evidence(img), await net.evidence(other)];
      assert.deepEqual(a.logitMap, b.logitMap);
      a.dispose();
      b.dispose();
    });
  });

  it('embeddings are what the head reads: map = features · W + b', async () => {
    await noLeaks(async () => {
      const img = image(33, 41);
      const ev = await net.evidence(img);
      const { features, geometry } = await net.embeddings(img);
      assert.deepEqual(features.shape, [
        geometry.rows,
        geometry.cols,
        net.logitModel.getLayer('head').getWeights()[0]!.shape[2]!,
      ]);
      const w = net.getWeights();
      const recon = tf.tidy(() =>
        tf.add(
          tf.matMul(
            tf.reshape(features, [-1, features.shape[2]]),
            tf.reshape(w.get('head/kernel')!, [features.shape[2], 5]),
          ),
          w.get('head/bias')!,
        ),
      );
      const data = await recon.data();
      for (let i = 0; i < data.length; i++) assert.ok(Math.abs(data[i]! - ev.logitMap[i]!) < 1e-4);
      recon.dispose();
      w.forEach((t) => t.dispose());
      features.dispose();
      ev.dispose();
    });
  });

  it('saves to disk and loads back bit-exact, with metadata', async () => {
    await noLeaks(async () => {
      const out = join(dir, 'm1');
      await saveBagNetToDisk(net, out);
      assert.deepEqual(readdirSync(out).sort(), ['group1-shard1of1.bin', 'model.json']);
      const back = await loadBagNetFromDisk(out);
      assert.deepEqual(back.metadata, net.metadata);
      const [a, b] = [net.getWeights(), back.getWeights()];
      for (const [k, t] of a) assert.deepEqual(await t.data(), await b.get(k)!.data(), k);
      a.forEach((t) => t.dispose());
      b.forEach((t) => t.dispose());
      back.dispose();
    });
  });

  it('loads from a URL with fetch and reports progress', async () => {
    const out = join(dir, 'm2');
    await saveBagNetToDisk(net, out);
    const files = new Map(readdirSync(out).map((f) => [f, readFileSync(join(out, f))]));
    const fakeFetch = (async (u: string) => {
      const path = new URL(u).pathname;
      const f = path.startsWith('/m2/') ? files.get(path.slice(4)) : undefined;
      return f ? new Response(f) : new Response('nope', { status: 404, statusText: 'Not Found' });
    }) as typeof fetch;
    await noLeaks(async () => {
      const seen: number[] = [];
      const m = await loadBagNet('http://models.test/m2/model.json', {
        fetch: fakeFetch,
        onProgress: (p) => seen.push(p.loadedBytes / p.totalBytes),
      });
      assert.equal(seen.at(-1), 1);
      m.dispose();
      await assert.rejects(
        loadBagNet('http://models.test/x/model.json', { fetch: fakeFetch }),
        (e) => e instanceof BagNetFormatError && /HTTP 404/.test(e.message),
      );
    });
  });

  it('is readable by plain tf.loadLayersModel', async () => {
    const out = join(dir, 'm3');
    await saveBagNetToDisk(net, out);
    const tfl = await import('@tensorflow/tfjs-layers');
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as {
      modelTopology: object;
      weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
    };
    const bin = readFileSync(join(out, 'group1-shard1of1.bin'));
    const m = await tfl.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0]!.weights,
        weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      }),
    );
    const x = tf.randomNormal([1, 20, 25, 3]);
    const [a, b] = [m.predict(x) as tf.Tensor, net.logitMap(x as tf.Tensor4D)];
    assert.ok((await tf.max(tf.abs(tf.sub(a, b))).data())[0]! < 1e-5);
    tf.dispose([a, b, x]);
    m.dispose();
  });

  it('refuses broken model files with typed errors and leaks nothing', async () => {
    const src = join(dir, 'good');
    await saveBagNetToDisk(net, src);
    const good = JSON.parse(readFileSync(join(src, 'model.json'), 'utf8')) as Record<string, unknown>;
    const shard = readFileSync(join(src, 'group1-shard1of1.bin'));
    const variant = (name: string, json: unknown, bin: Buffer | null = shard) => {
      const p = mkdtempSync(join(dir, `${name}-`));
      writeFileSync(join(p, 'model.json'), typeof json === 'string' ? json : JSON.stringify(json));
      if (bin) writeFileSync(join(p, 'group1-shard1of1.bin'), bin);
      return p;
    };
    const manifest = good['weightsManifest'] as {
      paths: string[];
      weights: { name: string; shape: number[]; dtype: string }[];
    }[];
    const cases: [string, string, RegExp][] = [
      ['nometa', variant('nometa', { ...good, userDefinedMetadata: {} }), /no "userDefinedMetadata.bagnet" entry/],
      ['notjson', variant('notjson', '{oops'), /not valid JSON/],
      ['missing', variant('missing', good, null), /Weight shard "group1-shard1of1.bin" .* is missing/],
      ['short', variant('short', good, shard.subarray(0, shard.length - 8)), /truncated/],
      ['long', variant('long', good, Buffer.concat([shard, Buffer.alloc(4)])), /too long/],
      [
        'shape',
        variant('shape', {
          ...good,
          weightsManifest: [
            {
              ...manifest[0]!,
              weights: manifest[0]!.weights.map((w, i) => (i === 1 ? { ...w, shape: [...w.shape].reverse() } : w)),
            },
          ],
        }),
        /weight conv2\/kernel has shape \[4, 4, 3, 3\], expected \[3, 3, 4, 4\]/,
      ],
      [
        'dtype',
        variant('dtype', {
          ...good,
          weightsManifest: [
            { ...manifest[0]!, weights: manifest[0]!.weights.map((w, i) => (i === 0 ? { ...w, dtype: 'int32' } : w)) },
          ],
        }),
        /dtype "int32"; BagNet weights must be float32/,
      ],
      [
        'labels',
        variant('labels', {
          ...good,
          userDefinedMetadata: {
            bagnet: { ...(good['userDefinedMetadata'] as { bagnet: object }).bagnet, labels: ['x'] },
          },
        }),
        /labels: expected 5 strings/,
      ],
    ];
    for (const [name, path, re] of cases) {
      await noLeaks(() =>
        assert.rejects(loadBagNetFromDisk(path), (e) => e instanceof BagNetFormatError && re.test(e.message), name),
      );
    }
    // a truncated file on disk (as a partial download leaves it)
    const t = variant('trunc', good);
    truncateSync(join(t, 'group1-shard1of1.bin'), 100);
    await assert.rejects(loadBagNetFromDisk(t), /hold 100 bytes, but the manifest describes/);
    unlinkSync(join(t, 'model.json'));
    await assert.rejects(loadBagNetFromDisk(t), /Could not read model .*ENOENT/);
  });

  it('refuses bad images and aborted signals with typed errors and leaks nothing', async () => {
    await noLeaks(async () => {
      await assert.rejects(
        net.evidence(image(16, 40)),
        (e) =>
          e instanceof BagNetInputError &&
          /16×40 px is smaller than the model's receptive field q = 17/.test(e.message),
      );
      await assert.rejects(net.evidence({ data: new Uint8Array(0), width: 0, height: 0 }), /at least 1×1/);
      await assert.rejects(
        net.evidence({ data: new Uint8Array(10), width: 20, height: 20 }),
        /needs 1200 \(RGB\) or 1600 \(RGBA\)/,
      );
      const nan = tf.fill([20, 20, 3], NaN) as tf.Tensor3D;
      await assert.rejects(net.evidence(nan), /NaN or infinite/);
      nan.dispose();
      const bad = tf.zeros([20, 20]);
      await assert.rejects(net.evidence(bad as unknown as tf.Tensor3D), /shape \[height, width, 3\]/);
      bad.dispose();
      await assert.rejects(net.evidence('cat.png' as unknown as tf.Tensor3D), /Unsupported image input/);
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(
        net.evidence(image(20, 20), { signal: ac.signal }),
        (e) => e instanceof BagNetAbortError && e.name === 'AbortError',
      );
    });
  });

  it('accepts RGBA bytes and tensors the same as RGB bytes', async () => {
    await noLeaks(async () => {
      const img = image(20, 24);
      const rgba = new Uint8Array(20 * 24 * 4);
      for (let i = 0; i < 20 * 24; i++) rgba.set([...img.data.subarray(i * 3, i * 3 + 3), 7], i * 4);
      const t = tf.tensor3d(img.data, [20, 24, 3], 'int32');
      const results = [
        await net.evidence(img),
        await net.evidence({ data: rgba, width: 24, height: 20 }),
        await net.evidence(t),
      ];
      assert.deepEqual(results[0]!.logitMap, results[1]!.logitMap);
      assert.deepEqual(results[0]!.logitMap, results[2]!.logitMap);
      results.forEach((r) => r.dispose());
      t.dispose();
    });
  });
});
