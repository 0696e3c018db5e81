/**
 * Training in tfjs: `fineTuneHead` (the linear head on pooled backbone features, every backend) and
 * `trainBagNet` (every weight, backends with convolution gradients).
 *
 * Head fine-tuning runs on the WASM backend — the backend that cannot train convolutions, so these
 * tests are also the proof that the head needs none — with the shipped default model
 * (packages/models/default: Fashion-MNIST, q = 13) and its 50 committed held-out sample images
 * (packages/models/samples), relabelled: 3 new classes (trousers & bags / shoes / tops), and the 10
 * classes under shuffled indices (a head learnt from zero). Full training runs on the CPU backend
 * with a tiny random model (q = 9, 1 block per stage, 64 features) on 20×20 synthetic stripes; its
 * epoch losses are checked against the same steps replayed in PyTorch
 * (scripts/training-reference/reference.py → test/fixtures/training/stripes-bagnet9.json).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';

import {
  BagNet,
  BagNetAbortError,
  bagnetArchitecture,
  BagNetBackendError,
  BagNetInputError,
  canTrainConvolutions,
  fineTuneHead,
  trainBagNet,
  useBackend,
} from '@bagnet-vis/core';
import type { LabelledImage, RawImage, TrainingProgress, TrainingResult } from '@bagnet-vis/core';
import { loadBagNetFromDisk, saveBagNetToDisk } from '@bagnet-vis/core/node';

import { seededStripes as stripes } from '../../../test/helpers/images.js';
import { noLeaks } from '../../../test/helpers/leaks.js';
import { inputsDigest, trainingCaseInputs } from '../../../test/helpers/training-case.js';

const MODELS = fileURLToPath(new URL('../../models/', import.meta.url));

interface Sample {
  readonly image: RawImage;
  /** Fashion-MNIST class 0–9. */
  readonly fashionClass: number;
}

function readSamples(): Sample[] {
  const json = JSON.parse(readFileSync(join(MODELS, 'samples/samples.json'), 'utf8')) as {
    samples: { file: string; label: number }[];
  };
  return json.samples.map((s) => {
    const png = PNG.sync.read(readFileSync(join(MODELS, 'samples', s.file)));
    return {
      image: { data: new Uint8Array(png.data), width: png.width, height: png.height, channels: 4 },
      fashionClass: s.label,
    };
  });
}

/** Fashion-MNIST class → one of 3 new classes. */
const GROUPS = ['trousers and bags', 'shoes', 'tops'];
// T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot
const GROUP_OF = [2, 0, 2, 2, 2, 1, 2, 1, 0, 1];

/** The image pasted at (top, left) into a black `height` × `width` canvas (Fashion-MNIST's background). */
function padded(image: RawImage, height: number, width: number, top: number, left: number): RawImage {
  const data = new Uint8Array(height * width * 4);
  for (let y = 0; y < image.height; y++) {
    data.set(image.data.subarray(y * image.width * 4, (y + 1) * image.width * 4), ((y + top) * width + left) * 4);
  }
  return { data, width, height, channels: 4 };
}

async function topClass(model: BagNet, image: RawImage): Promise<number> {
  const ev = await model.evidence(image);
  try {
    return ev.topClasses(1)[0]!.index;
  } finally {
    ev.dispose();
  }
}

async function logitsOf(model: BagNet, image: RawImage): Promise<Float32Array> {
  const ev = await model.evidence(image);
  try {
    return Float32Array.from(ev.logits);
  } finally {
    ev.dispose();
  }
}

describe('fineTuneHead (WASM backend, default model)', () => {
  let net: BagNet;
  let samples: Sample[];
  let grouped: LabelledImage[];
  let dir: string;
  before(async () => {
    await useBackend('wasm');
    net = await loadBagNetFromDisk(join(MODELS, 'default/model.json'));
    samples = readSamples();
    grouped = samples.map((s) => ({ image: s.image, label: GROUP_OF[s.fashionClass]! }));
    dir = mkdtempSync(join(tmpdir(), 'bagnet-fine-tune-'));
  });
  after(() => {
    net.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('learns a new 3-class labelling; the new model predicts what the head learnt; the source is unchanged', async () => {
    await noLeaks(async () => {
      const before = await logitsOf(net, samples[0]!.image);
      const events: TrainingProgress[] = [];
      const result = await fineTuneHead(net, grouped, {
        labels: GROUPS,
        epochs: 20,
        onProgress: (p) => events.push(p),
      });
      try {
        const { model, history } = result;
        assert.deepEqual(model.labels, GROUPS);
        assert.equal(model.numClasses, 3);
        assert.equal(model.receptiveField, net.receptiveField);
        assert.deepEqual(model.metadata.inputSize, net.metadata.inputSize);
        assert.deepEqual(model.metadata.normalization, net.metadata.normalization);
        assert.match(model.metadata.provenance.source, /head fine-tuned/);
        assert.match(model.metadata.provenance.notes ?? '', /fineTuneHead\(\).*3 classes.*50 images.*10 held out/);
        assert.equal(result.trainingExamples + result.validationExamples, 50);
        assert.equal(result.validationExamples, 10); // 20 % of each class (25, 15, 10 images)
        assert.equal(history.length, 20);
        const last = history[history.length - 1]!;
        console.log(
          `  3 new classes: training accuracy ${last.accuracy}, held-out ${last.valAccuracy} (chance 1/3, majority 0.5)`,
        );
        assert.ok(last.accuracy >= 0.95, `training accuracy ${last.accuracy}`);
        assert.ok(last.valAccuracy! >= 0.8, `held-out accuracy ${last.valAccuracy}`);
        assert.ok(last.loss < history[0]!.loss);

        // The model's own logits (mean of its logit map) realise the head that was trained: its
        // accuracy on the training and held-out images is the one history reports.
        const held = new Set(result.validationIndices);
        let trainCorrect = 0;
        let valCorrect = 0;
        for (const [i, example] of grouped.entries()) {
          const ok = (await topClass(model, example.image as RawImage)) === example.label ? 1 : 0;
          if (held.has(i)) valCorrect += ok;
          else trainCorrect += ok;
        }
        assert.equal(trainCorrect / result.trainingExamples, last.accuracy);
        assert.equal(valCorrect / result.validationExamples, last.valAccuracy);

        // Progress: every example read, in order, then every epoch, in order, ETA down to 0.
        const prepare = events.filter((e) => e.phase === 'prepare');
        assert.deepEqual(
          prepare.map((e) => [e.done, e.total]),
          grouped.map((_, i) => [i + 1, 50]),
        );
        assert.ok(events.slice(0, 50).every((e) => e.phase === 'prepare'));
        const epochs = events.slice(50);
        assert.deepEqual(
          epochs.map((e) => (e.phase === 'epoch' ? e.epoch : -1)),
          history.map((h) => h.epoch),
        );
        const last2 = epochs[epochs.length - 1]!;
        assert.ok(last2.phase === 'epoch' && last2.etaSeconds === 0 && last2.epochs === 20);

        // The source model is untouched.
        assert.equal(net.numClasses, 10);
        assert.deepEqual(await logitsOf(net, samples[0]!.image), before);
      } finally {
        result.model.dispose();
      }
    });
  });

  it('learns the 10 classes from zero under shuffled indices; seeded: same seed, same run', async () => {
    await noLeaks(async () => {
      const permutation = [3, 7, 0, 9, 1, 5, 8, 2, 6, 4];
      const labels = Array.from({ length: 10 }, (_, k) => `class ${permutation.indexOf(k)} renamed`);
      const examples = samples.map((s) => ({ image: s.image, label: permutation[s.fashionClass]! }));
      const a = await fineTuneHead(net, examples, { labels, seed: 5 });
      const b = await fineTuneHead(net, examples, { labels, seed: 5 });
      try {
        const last = a.history[a.history.length - 1]!;
        console.log(
          `  10 shuffled classes: training accuracy ${last.accuracy}, held-out ${last.valAccuracy} (chance 0.1)`,
        );
        assert.ok(last.accuracy >= 0.95, `training accuracy ${last.accuracy}`);
        assert.ok(last.valAccuracy! >= 0.6, `held-out accuracy ${last.valAccuracy}`);
        assert.equal(a.validationExamples, 10); // one of each class's 5
        assert.deepEqual(a.validationIndices, b.validationIndices);
        assert.deepEqual(
          a.history.map(({ seconds: _, ...m }) => m),
          b.history.map(({ seconds: _, ...m }) => m),
        );
        const c = samples[7]!.image;
        assert.deepEqual(await logitsOf(a.model, c), await logitsOf(b.model, c));
      } finally {
        a.model.dispose();
        b.model.dispose();
      }
    });
  });

  it('saves and reloads with the new labels and identical predictions', async () => {
    await noLeaks(async () => {
      const { model } = await fineTuneHead(net, grouped, { labels: GROUPS, epochs: 5 });
      try {
        await saveBagNetToDisk(model, join(dir, 'tuned'));
        const reloaded = await loadBagNetFromDisk(join(dir, 'tuned'));
        try {
          assert.deepEqual(reloaded.labels, GROUPS);
          assert.deepEqual(reloaded.metadata.provenance, model.metadata.provenance);
          for (const s of samples.slice(0, 5)) {
            assert.deepEqual(await logitsOf(reloaded, s.image), await logitsOf(model, s.image));
          }
        } finally {
          reloaded.dispose();
        }
      } finally {
        model.dispose();
      }
    });
  });

  it('takes an async stream of mixed-size images, and no held-out split', async () => {
    await noLeaks(async () => {
      async function* stream() {
        for (const [i, s] of grouped.entries()) {
          const image = s.image as RawImage;
          yield i % 3 === 0 ? { image: padded(image, 34, 31, 2 + (i % 4), 1 + (i % 3)), label: s.label } : s;
        }
      }
      const totals = new Set<number | undefined>();
      const result: TrainingResult = await fineTuneHead(net, stream(), {
        labels: GROUPS,
        epochs: 10,
        validationSplit: 0,
        onProgress: (p) => void (p.phase === 'prepare' && totals.add(p.total)),
      });
      try {
        assert.deepEqual([...totals], [undefined]);
        assert.equal(result.validationExamples, 0);
        assert.deepEqual(result.validationIndices, []);
        const last = result.history[result.history.length - 1]!;
        assert.equal(last.valLoss, undefined);
        assert.equal(last.valAccuracy, undefined);
        assert.ok(last.accuracy >= 0.95, `training accuracy ${last.accuracy}`);
      } finally {
        result.model.dispose();
      }
    });
  });

  it('stops on abort — before, while reading and mid-training — leaving no tensors', async () => {
    await noLeaks(async () => {
      const aborted = new AbortController();
      aborted.abort();
      await assert.rejects(fineTuneHead(net, grouped, { labels: GROUPS, signal: aborted.signal }), BagNetAbortError);

      const reading = new AbortController();
      await assert.rejects(
        fineTuneHead(net, grouped, {
          labels: GROUPS,
          signal: reading.signal,
          onProgress: (p) => void (p.phase === 'prepare' && p.done === 10 && reading.abort()),
        }),
        BagNetAbortError,
      );

      const training = new AbortController();
      const seen: number[] = [];
      await assert.rejects(
        fineTuneHead(net, grouped, {
          labels: GROUPS,
          signal: training.signal,
          onProgress: (p) => {
            if (p.phase !== 'epoch') return;
            seen.push(p.epoch);
            if (p.epoch === 3) training.abort();
          },
        }),
        (e: unknown) => e instanceof BagNetAbortError && e.name === 'AbortError',
      );
      assert.deepEqual(seen, [1, 2, 3]);
    });
  });

  it('rejects bad inputs with typed errors that say what is wrong, leaving no tensors', async () => {
    await noLeaks(async () => {
      const bad = async (
        examples: Parameters<typeof fineTuneHead>[1],
        options: Parameters<typeof fineTuneHead>[2],
        message: RegExp,
      ) => {
        await assert.rejects(
          fineTuneHead(net, examples, options),
          (e: unknown) => e instanceof BagNetInputError && message.test(e.message),
          String(message),
        );
      };
      const two = grouped.slice(0, 12);
      await bad([], { labels: GROUPS }, /no examples/);
      await bad([...two, { image: samples[0]!.image, label: 3 }], { labels: GROUPS }, /example 12 has label 3.*0 to 2/);
      await bad([{ image: samples[0]!.image, label: 1.5 }], { labels: GROUPS }, /example 0 has label 1.5/);
      await bad(
        [{ image: samples[0]!.image } as unknown as LabelledImage],
        { labels: GROUPS },
        /not an \{image, label\}/,
      );
      await bad(
        grouped.filter((e) => e.label !== 1),
        { labels: GROUPS },
        /class "shoes" has no examples/,
      );
      await bad(grouped, { labels: ['only one'] }, /at least two class names/);
      await bad(grouped, { labels: ['a', 'b', 'a'] }, /labels\[0\] and labels\[2\] are both "a"/);
      await bad(grouped, { labels: ['a', ''] }, /labels\[1\] is ""/);
      // Default labels: the model's 10 — a 3-class labelling leaves 7 classes without examples.
      await bad(grouped, {}, /classes "Dress", "Coat", .* and 2 more have no examples/);
      await bad(
        [...two, { image: { data: new Uint8Array(8 * 8 * 3), width: 8, height: 8 }, label: 0 }],
        { labels: GROUPS },
        /example 12 \(class "trousers and bags"\): Image of 8×8 px is smaller than .* q = 13/,
      );
      await bad(grouped, { labels: GROUPS, epochs: 0 }, /epochs must be a positive integer/);
      await bad(grouped, { labels: GROUPS, validationSplit: 1 }, /validationSplit must be a fraction in \[0, 1\)/);
      await bad(grouped, { labels: GROUPS, learningRate: -1 }, /learningRate must be a positive number/);
      await bad(grouped, { labels: GROUPS, batchSize: 2.5 }, /batchSize must be a positive integer/);
      await bad(grouped, { labels: GROUPS, l2: Number.NaN }, /l2 must be a number ≥ 0/);
      await bad(
        42 as unknown as LabelledImage[],
        { labels: GROUPS },
        /examples must be an array or an \(async\) iterable/,
      );
    });
  });
});

describe('trainBagNet (CPU backend, tiny model)', () => {
  const arch = bagnetArchitecture({ q: 9, widthScale: 0.03125, blocks: [1, 1, 1, 1], numClasses: 2 });
  const examples = Array.from({ length: 16 }, (_, i) => ({ image: stripes(i % 2 === 1, i + 1), label: i % 2 }));
  let net: BagNet;
  before(async () => {
    await useBackend('cpu');
    net = BagNet.create(arch, {
      seed: 1,
      labels: ['horizontal', 'vertical'],
      inputSize: [20, 20],
      normalization: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], channelOrder: 'RGB' },
    });
  });
  after(() => net.dispose());

  it('trains every weight: the loss decreases, steps and epochs are reported in order', async () => {
    await noLeaks(async () => {
      const original = net.getWeights();
      const events: TrainingProgress[] = [];
      const result = await trainBagNet(net, examples, {
        epochs: 6,
        batchSize: 8,
        validationSplit: 0.25,
        onProgress: (p) => events.push(p),
      });
      const trained = result.model.getWeights();
      try {
        const losses = result.history.map((h) => h.loss);
        console.log(`  full training losses: ${losses.map((l) => l.toFixed(3)).join(' → ')}`);
        // The PyTorch replay of these steps (float64): measured within 2.6e-6 on every epoch's
        // training and held-out loss; the tolerance is ten times that.
        const reference = JSON.parse(
          readFileSync(new URL('../../../test/fixtures/training/stripes-bagnet9.json', import.meta.url), 'utf8'),
        ) as { inputsSha256: string; epochs: { loss: number; valLoss: number; accuracy: number }[] };
        assert.equal(await inputsDigest(await trainingCaseInputs(net, 6)), reference.inputsSha256, 'the same inputs');
        result.history.forEach((h, i) => {
          const want = reference.epochs[i]!;
          assert.ok(Math.abs(h.loss - want.loss) <= 3e-5, `epoch ${i + 1}: loss ${h.loss}, PyTorch ${want.loss}`);
          assert.ok(Math.abs(h.valLoss! - want.valLoss) <= 3e-5, `epoch ${i + 1}: held-out ${h.valLoss}`);
          assert.equal(h.accuracy, want.accuracy, `epoch ${i + 1} accuracy`);
        });
        assert.equal(result.trainingExamples, 12);
        assert.equal(result.validationExamples, 4);
        assert.ok(losses[5]! < 0.5 * losses[0]!, `loss ${losses[0]} → ${losses[5]}`);
        assert.ok(result.history[5]!.valLoss! < result.history[0]!.valLoss!);
        assert.equal(result.history[5]!.accuracy, 1);
        assert.match(result.model.metadata.provenance.notes ?? '', /trainBagNet\(\).*cpu backend/);
        const moved = [...original.keys()].filter(
          (name) =>
            tf.tidy(() => tf.max(tf.abs(tf.sub(trained.get(name)!, original.get(name)!))).dataSync()[0]!) > 1e-4,
        );
        // Backbone and head moved (not all: at 2 channels, layer1's ReLUs are dead at this seed, so
        // its weights get zero gradient — as in any network).
        assert.ok(
          moved.includes('conv1/kernel') && moved.includes('layer4_0_conv2/kernel') && moved.includes('head/kernel'),
        );
        assert.ok(moved.length >= 0.8 * original.size, `${moved.length} of ${original.size} weights moved`);
        // The source model did not change.
        const now = net.getWeights();
        const same = tf.tidy(() =>
          tf.max(tf.abs(tf.sub(now.get('conv1/kernel')!, original.get('conv1/kernel')!))).arraySync(),
        );
        now.forEach((t) => t.dispose());
        assert.equal(same, 0);

        const order = events
          .filter((e) => e.phase !== 'prepare')
          .map((e) => (e.phase === 'step' ? `${e.epoch}.${e.step}` : `${e.epoch}`));
        assert.deepEqual(
          order,
          [1, 2, 3, 4, 5, 6].flatMap((e) => [`${e}.1`, `${e}.2`, `${e}`]),
        );
        assert.deepEqual(
          events.filter((e) => e.phase === 'prepare').map((e) => e.done),
          examples.map((_, i) => i + 1),
        );
      } finally {
        original.forEach((t) => t.dispose());
        trained.forEach((t) => t.dispose());
        result.model.dispose();
      }
    });
  });

  it('trains a new head for new labels, with mixed image sizes', async () => {
    await noLeaks(async () => {
      const three = [
        ...examples,
        { image: { data: new Uint8Array(24 * 28 * 3).fill(128), width: 28, height: 24 }, label: 2 },
        { image: { data: new Uint8Array(24 * 28 * 3).fill(120), width: 28, height: 24 }, label: 2 },
      ];
      const result = await trainBagNet(net, three, { labels: ['h', 'v', 'flat'], epochs: 2, validationSplit: 0 });
      try {
        assert.equal(result.model.numClasses, 3);
        assert.deepEqual(result.model.labels, ['h', 'v', 'flat']);
        assert.match(result.model.metadata.provenance.notes ?? '', /new zero head/);
        assert.equal(result.history.length, 2);
      } finally {
        result.model.dispose();
      }
    });
  });

  it('stops on abort mid-epoch, leaving no tensors', async () => {
    await noLeaks(async () => {
      const controller = new AbortController();
      await assert.rejects(
        trainBagNet(net, examples, {
          epochs: 3,
          signal: controller.signal,
          onProgress: (p) => void (p.phase === 'step' && p.epoch === 2 && controller.abort()),
        }),
        BagNetAbortError,
      );
    });
  });

  it('refuses the WASM backend (no convolution filter gradient) before reading anything', async () => {
    assert.equal(canTrainConvolutions('cpu'), true);
    await useBackend('wasm');
    try {
      assert.equal(canTrainConvolutions(), false);
      let read = false;
      const untouched = (function* () {
        read = true;
        yield examples[0]!;
      })();
      await assert.rejects(
        trainBagNet(net, untouched),
        (e: unknown) =>
          e instanceof BagNetBackendError &&
          /wasm backend has no Conv2DBackpropFilter kernel/.test(e.message) &&
          /webgl or webgpu .* cpu/.test(e.message) &&
          /fineTuneHead\(\)/.test(e.message),
      );
      assert.equal(read, false);
    } finally {
      await useBackend('cpu');
    }
  });
});
