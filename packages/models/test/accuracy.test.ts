/**
 * The shipped default model, re-checked in tfjs against what the training run logged.
 *
 * - metadata: q, stride, labels, grid on 28×28, normalisation and checkpoint hash agree with
 *   default/training-log.json (written by scripts/train-default/train.py);
 * - the committed sample images (always): the tfjs logits equal the PyTorch logits that train.py
 *   recorded in fixtures/pytorch-sample-logits.json (tolerance 1e-3: float32 tfjs vs a float64
 *   forward of the same float32 weights, BN folded), and the sample accuracy lies within a
 *   3-sigma binomial margin of the logged test accuracy;
 * - a deterministic 1,000-image subset of the real test set (when Debian's
 *   dataset-fashion-mnist is installed; skipped with a message otherwise): accuracy within
 *   0.3 % of PyTorch's on the same images (a near-tie may flip) and within the binomial margin of
 *   the logged full test accuracy.
 *
 * Runs on the WASM backend (the CPU backend is ~40× slower on convolutions); < 10 s.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

import * as tf from '@tensorflow/tfjs-core';
import type { Tensor3D } from '@tensorflow/tfjs-core';
import { normalizePixels, useBackend } from '@bagnet-vis/core';
import type { BagNet } from '@bagnet-vis/core';
import { loadBagNetFromDisk } from '@bagnet-vis/core/node';
import { PNG } from 'pngjs';

import { DEFAULT_MODEL_INPUT_SIZE, defaultModelUrl, FASHION_MNIST_LABELS, sampleImages } from '../src/index.js';
import { noLeaks } from '../../../test/helpers/leaks.js';

const pkg = new URL('../', import.meta.url);
const readJson = <T>(path: string): T => JSON.parse(readFileSync(new URL(path, pkg), 'utf8')) as T;

interface TrainingLog {
  labels: string[];
  normalization: { mean: number[]; std: number[] };
  bagnetArchitecture: { receptiveField: number; stride: number; gridOn28x28: number[] };
  results: { bagnet: { testAccuracy: number } };
  evaluation: { testSubset: { rule: string; size: number; accuracy: number } };
  checkpoint: { sha256: string };
}
interface SamplesJson {
  labels: string[];
  samples: { file: string; testIndex: number; label: number; labelName: string }[];
}
interface PyTorchLogits {
  checkpointSha256: string;
  samples: { file: string; label: number; predicted: number; logits: number[] }[];
}

const log = readJson<TrainingLog>('default/training-log.json');
const samplesJson = readJson<SamplesJson>('samples/samples.json');
const pytorch = readJson<PyTorchLogits>('test/fixtures/pytorch-sample-logits.json');

/** |tfjs − PyTorch| allowed per logit. */
const LOGIT_TOLERANCE = 1e-3;
/** Test-set subset evaluated when the dataset is installed: every 10th image (as train.py logs it). */
const SUBSET_EVERY = 10;
const TEST_IMAGES = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
const TEST_LABELS = '/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz';
const haveDataset = existsSync(TEST_IMAGES) && existsSync(TEST_LABELS);

/** Accuracy on n images is within 3 binomial standard deviations of the logged accuracy p. */
function assertWithinBinomialMargin(accuracy: number, n: number, p: number, what: string): void {
  const margin = 3 * Math.sqrt((p * (1 - p)) / n);
  assert.ok(
    Math.abs(accuracy - p) <= margin,
    `${what}: accuracy ${accuracy.toFixed(4)} on ${n} images is not within ±${margin.toFixed(4)} (3σ) of the logged test accuracy ${p}`,
  );
}

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

/** Reads an unsigned-byte IDX file (gzipped). */
function readIdx(path: string): { data: Uint8Array; shape: number[] } {
  const b = gunzipSync(readFileSync(path));
  const ndim = b[3]!;
  assert.equal(b[2], 0x08, `${path} is not an unsigned-byte IDX file`);
  const shape = Array.from({ length: ndim }, (_, i) => b.readUInt32BE(4 + 4 * i));
  return { data: new Uint8Array(b.buffer, b.byteOffset + 4 + 4 * ndim), shape };
}

describe('@bagnet-vis/models default model', () => {
  let net: BagNet;
  let tensorsBefore = 0;

  before(async () => {
    await useBackend('wasm');
    tensorsBefore = tf.memory().numTensors;
    net = await loadBagNetFromDisk(fileURLToPath(defaultModelUrl));
  });

  after(() => {
    net.dispose();
    assert.equal(tf.memory().numTensors, tensorsBefore, 'disposing the model releases all its tensors');
  });

  it('has the trained architecture, labels and normalisation in its metadata', () => {
    const m = net.metadata;
    assert.equal(net.receptiveField, 11);
    assert.equal(net.stride, 2);
    assert.equal(m.receptiveField, log.bagnetArchitecture.receptiveField);
    assert.equal(m.stride, log.bagnetArchitecture.stride);
    assert.deepEqual(net.labels, [...FASHION_MNIST_LABELS]);
    assert.deepEqual(log.labels, [...FASHION_MNIST_LABELS]);
    assert.deepEqual(samplesJson.labels, [...FASHION_MNIST_LABELS]);
    assert.deepEqual(m.inputSize, [...DEFAULT_MODEL_INPUT_SIZE]);
    const g = net.geometry(28, 28);
    assert.deepEqual([g.rows, g.cols], [9, 9]);
    assert.deepEqual([g.rows, g.cols], log.bagnetArchitecture.gridOn28x28);
    assert.deepEqual(g.cellRect(8, 8), { x: 16, y: 16, width: 11, height: 11 });
    assert.deepEqual(m.normalization, {
      mean: log.normalization.mean,
      std: log.normalization.std,
      channelOrder: 'RGB',
    });
    assert.equal(m.provenance.sha256, log.checkpoint.sha256, 'model was converted from the logged checkpoint');
    assert.equal(pytorch.checkpointSha256, log.checkpoint.sha256, 'PyTorch fixture is from the same checkpoint');
  });

  it('keeps its weights within 2 MB', () => {
    const modelJson = readJson<{ weightsManifest: { paths: string[] }[] }>('default/model.json');
    const bytes = modelJson.weightsManifest
      .flatMap((g) => g.paths)
      .reduce((n, p) => n + statSync(new URL(`default/${p}`, pkg)).size, 0);
    assert.ok(bytes <= 2 * 1024 * 1024, `weights are ${bytes} bytes`);
  });

  it('lists the committed sample images with their true labels', () => {
    assert.equal(sampleImages.length, 50);
    assert.deepEqual(
      sampleImages.map(({ file, testIndex, label, labelName }) => ({ file, testIndex, label, labelName })),
      samplesJson.samples,
    );
    for (let c = 0; c < FASHION_MNIST_LABELS.length; c++) {
      assert.equal(sampleImages.filter((s) => s.label === c).length, 5, `5 samples of class ${c}`);
    }
    for (const s of sampleImages) assert.ok(existsSync(s.url), `${s.file} exists`);
    assert.deepEqual(
      pytorch.samples.map((s) => [s.file, s.label]),
      sampleImages.map((s) => [s.file, s.label]),
    );
  });

  it('reproduces the PyTorch logits and the logged accuracy on the committed samples', async (t) => {
    const correct = await noLeaks(async () => {
      let hits = 0;
      let worst = 0;
      for (const [k, s] of sampleImages.entries()) {
        const png = PNG.sync.read(readFileSync(s.url));
        assert.deepEqual([png.height, png.width], [28, 28], s.file);
        const ev = await net.evidence({ data: new Uint8Array(png.data), width: 28, height: 28, channels: 4 });
        try {
          assert.deepEqual([ev.geometry.rows, ev.geometry.cols], [9, 9]);
          const ref = pytorch.samples[k]!;
          ev.logits.forEach((l, c) => (worst = Math.max(worst, Math.abs(l - ref.logits[c]!))));
          const predicted = argmax(ev.logits);
          assert.equal(predicted, ref.predicted, `${s.file}: tfjs predicts ${predicted}, PyTorch ${ref.predicted}`);
          if (predicted === s.label) hits++;
        } finally {
          ev.dispose();
        }
      }
      assert.ok(worst <= LOGIT_TOLERANCE, `max |tfjs − PyTorch| logit difference ${worst} > ${LOGIT_TOLERANCE}`);
      t.diagnostic(
        `samples: ${hits}/${sampleImages.length} correct; max |tfjs − PyTorch| logit ${worst.toExponential(2)}`,
      );
      return hits;
    });
    assertWithinBinomialMargin(
      correct / sampleImages.length,
      sampleImages.length,
      log.results.bagnet.testAccuracy,
      'samples',
    );
  });

  it(
    `matches the logged accuracy on every ${SUBSET_EVERY}th test image`,
    {
      skip: haveDataset
        ? false
        : `Fashion-MNIST not installed (${TEST_IMAGES}); apt-get install -y dataset-fashion-mnist to run this part — the committed samples were checked above`,
    },
    async (t) => {
      const images = readIdx(TEST_IMAGES);
      const labels = readIdx(TEST_LABELS).data;
      assert.deepEqual(images.shape, [10000, 28, 28]);
      const indices = Array.from({ length: Math.ceil(10000 / SUBSET_EVERY) }, (_, i) => i * SUBSET_EVERY);
      assert.equal(indices.length, log.evaluation.testSubset.size);
      const hits = await noLeaks(async () => {
        let n = 0;
        const batch = 250;
        for (let start = 0; start < indices.length; start += batch) {
          const idx = indices.slice(start, start + batch);
          const rgb = new Uint8Array(idx.length * 784 * 3);
          idx.forEach((t, b) => {
            for (let p = 0; p < 784; p++) rgb.fill(images.data[t * 784 + p]!, (b * 784 + p) * 3, (b * 784 + p) * 3 + 3);
          });
          const predicted = tf.tidy(() => {
            // Normalisation is per pixel, so the batch can go through core's normalizePixels as
            // one tall image, then be cut back into 28×28 images.
            const tall = tf.tensor3d(rgb, [idx.length * 28, 28, 3], 'int32') as Tensor3D;
            const x = tf.reshape(normalizePixels(tall, net.metadata.normalization), [idx.length, 28, 28, 3]);
            return tf.argMax(tf.mean(net.logitMap(x as tf.Tensor4D), [1, 2]), 1);
          });
          const p = await predicted.data();
          predicted.dispose();
          idx.forEach((t, b) => (n += p[b] === labels[t] ? 1 : 0));
        }
        return n;
      });
      const accuracy = hits / indices.length;
      const logged = log.evaluation.testSubset.accuracy;
      t.diagnostic(`test subset: tfjs ${accuracy} on ${indices.length} images, PyTorch logged ${logged}`);
      assert.ok(
        Math.abs(accuracy - logged) <= 0.003,
        `tfjs accuracy ${accuracy} on ${log.evaluation.testSubset.rule} differs from PyTorch's ${logged}`,
      );
      assertWithinBinomialMargin(accuracy, indices.length, log.results.bagnet.testAccuracy, 'test subset');
    },
  );
});
