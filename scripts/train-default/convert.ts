/**
 * Converts the checkpoint written by train.py into the shipped default model
 * (packages/models/default/model.json + shard) with `bagnet convert` — the command a user runs on
 * an official checkpoint (called in-process through @bagnet-vis/cli's `run`; the command line it
 * runs is printed).
 *
 *   node --conditions=source --import tsx scripts/train-default/convert.ts \
 *     [--checkpoint /tmp/bagnet-default/bagnet-fashion-mnist.pth] [--models-dir packages/models]
 *
 * Everything the checkpoint does not record (stage strides, labels, input size, normalisation)
 * comes from packages/models/default/training-log.json, which train.py wrote for that very
 * checkpoint (its SHA-256 must match). Before anything is written, the converted model is run on
 * the committed sample images and must reproduce the PyTorch logits train.py recorded; the model
 * must also fit the 2 MB budget. Nothing is written if a check fails.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { run } from '@bagnet-vis/cli';
import { readTorchCheckpoint } from '@bagnet-vis/convert';
import { normalizePixels, useBackend } from '@bagnet-vis/core';
import type { BagNet } from '@bagnet-vis/core';
import { loadBagNetFromDisk } from '@bagnet-vis/core/node';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { format, resolveConfig } from 'prettier';

import { buildPlainCnn, loadPlainCnnStateDict, serializePlainCnn } from './plain-cnn.js';
import type { PlainCnnMetadata } from '../../packages/models/test/fashion-mnist-eval.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const { values: args } = parseArgs({
  options: {
    checkpoint: { type: 'string', default: '/tmp/bagnet-default/bagnet-fashion-mnist.pth' },
    'plain-cnn-checkpoint': { type: 'string' },
    'models-dir': { type: 'string', default: join(repo, 'packages/models') },
  },
});
const modelsDir = resolve(args['models-dir']);
const outDir = join(modelsDir, 'default');
const baselineDir = join(modelsDir, 'baseline');
const MAX_MODEL_BYTES = 2 * 1024 * 1024;
/** |tfjs − PyTorch| allowed on the sample logits (float32 vs float64 forward, folded BN). */
const LOGIT_TOLERANCE = 1e-3;

type Quad = [number, number, number, number];

interface TrainingLog {
  labels: string[];
  normalization: { mean: [number, number, number]; std: [number, number, number] };
  bagnetArchitecture: { receptiveField: number; stride: number; stageStrides: Quad; gridOn28x28: [number, number] };
  results: {
    bagnet: { testAccuracy: number; trainingSeconds: number };
    plainCnn?: {
      testAccuracy: number;
      description: string;
      widths: number[];
      strides: number[];
      /** Only in logs of runs that kept the plain CNN's checkpoint (train.py since the baseline is shipped). */
      checkpoint?: { file: string; sha256: string };
    };
  };
  recipe: { seed: number; epochs: number };
  checkpoint: { file: string; sha256: string };
}

interface SampleLogits {
  checkpointSha256: string;
  samples: { file: string; label: number; predicted: number; logits: number[] }[];
}

function fail(message: string): never {
  console.error(`convert: ${message}`);
  process.exit(1);
}

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    fail(`cannot read ${relative(repo, path)} (${e instanceof Error ? e.message : String(e)}); run train.py first.`);
  }
}

/** Decodes a PNG to the raw RGBA bytes core accepts. */
function readPng(path: string): { data: Uint8Array; width: number; height: number; channels: 4 } {
  const png = PNG.sync.read(readFileSync(path));
  return { data: new Uint8Array(png.data), width: png.width, height: png.height, channels: 4 };
}

/** Converts train.py's plain CNN to a tfjs layers model in baseline/, checked like the BagNet. */
async function convertPlainCnn(log: TrainingLog, checkpoint: string): Promise<void> {
  const cnn = log.results.plainCnn;
  if (!cnn?.checkpoint) fail('training-log.json has no plain-CNN checkpoint: train.py ran with --skip-cnn.');
  const reference = readJson<SampleLogits>(join(modelsDir, 'test/fixtures/pytorch-sample-logits-plain-cnn.json'));
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(checkpoint));
  } catch (e) {
    fail(`cannot read checkpoint ${checkpoint} (${e instanceof Error ? e.message : String(e)}); run train.py first.`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== cnn.checkpoint.sha256 || sha256 !== reference.checkpointSha256) {
    fail(`${checkpoint} (sha256 ${sha256.slice(0, 16)}…) is not the plain-CNN checkpoint training-log.json describes.`);
  }
  const sd = readTorchCheckpoint(bytes, { fileName: checkpoint });
  const model = buildPlainCnn(cnn.widths, cnn.strides, log.labels.length);
  try {
    loadPlainCnnStateDict(model, sd, cnn.widths, tf);
    const normalization = { mean: log.normalization.mean, std: log.normalization.std, channelOrder: 'RGB' as const };
    let worst = 0;
    for (const s of reference.samples) {
      const png = readPng(join(modelsDir, 'samples', s.file));
      const logits = tf.tidy(() => {
        const rgba = tf.tensor3d(png.data, [png.height, png.width, 4], 'int32');
        const rgb = tf.slice(rgba, [0, 0, 0], [png.height, png.width, 3]) as tf.Tensor3D;
        return model.predict(normalizePixels(rgb, normalization)) as tf.Tensor2D;
      });
      const v = await logits.data();
      logits.dispose();
      v.forEach((l, c) => (worst = Math.max(worst, Math.abs(l - s.logits[c]!))));
    }
    if (!(worst <= LOGIT_TOLERANCE)) {
      fail(`converted plain-CNN logits differ from PyTorch by up to ${worst.toExponential(2)} (> ${LOGIT_TOLERANCE}).`);
    }
    const metadata: PlainCnnMetadata = {
      description: cnn.description,
      labels: log.labels,
      inputSize: [28, 28],
      normalization: { mean: log.normalization.mean, std: log.normalization.std },
      widths: cnn.widths,
      strides: cnn.strides,
      provenance: { sha256, converter: 'scripts/train-default/convert.ts (BatchNorm folded into conv biases)' },
    };
    const { modelJson, shardName, shard } = await serializePlainCnn(model, metadata, tf);
    if (shard.byteLength > MAX_MODEL_BYTES) fail(`plain-CNN weights are ${shard.byteLength} bytes, over 2 MB.`);
    mkdirSync(baselineDir, { recursive: true });
    for (const f of readdirSync(baselineDir)) {
      if (f === 'model.json' || /^group\d+-shard\d+of\d+\.bin$/.test(f)) rmSync(join(baselineDir, f));
    }
    const jsonPath = join(baselineDir, 'model.json');
    writeFileSync(jsonPath, await format(modelJson, { ...(await resolveConfig(jsonPath)), filepath: jsonPath }));
    writeFileSync(join(baselineDir, shardName), shard);
    console.log(
      `plain CNN: max |tfjs − PyTorch| on ${reference.samples.length} samples ${worst.toExponential(2)}; ` +
        `wrote ${relative(repo, jsonPath)} and ${shardName} (${shard.byteLength} bytes)`,
    );
  } finally {
    model.dispose();
  }
}

async function checkAgainstPyTorch(net: BagNet, reference: SampleLogits): Promise<number> {
  let worst = 0;
  for (const s of reference.samples) {
    const ev = await net.evidence(readPng(join(modelsDir, 'samples', s.file)));
    try {
      ev.logits.forEach((l, c) => (worst = Math.max(worst, Math.abs(l - s.logits[c]!))));
    } finally {
      ev.dispose();
    }
  }
  return worst;
}

/** Prettier-formats the files train.py wrote and the repo commits, so `npm run lint` passes. */
async function formatTrainingOutputs(): Promise<void> {
  for (const file of ['default/training-log.json', 'samples/samples.json', 'src/sample-list.generated.ts']) {
    const path = join(modelsDir, file);
    const text = readFileSync(path, 'utf8');
    const formatted = await format(text, { ...(await resolveConfig(path)), filepath: path });
    if (formatted !== text) writeFileSync(path, formatted);
  }
}

async function main(): Promise<void> {
  const checkpoint = args.checkpoint;
  const log = readJson<TrainingLog>(join(outDir, 'training-log.json'));
  const reference = readJson<SampleLogits>(join(modelsDir, 'test/fixtures/pytorch-sample-logits.json'));

  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(checkpoint));
  } catch (e) {
    fail(`cannot read checkpoint ${checkpoint} (${e instanceof Error ? e.message : String(e)}); run train.py first.`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== log.checkpoint.sha256 || sha256 !== reference.checkpointSha256) {
    fail(
      `${checkpoint} (sha256 ${sha256.slice(0, 16)}…) is not the checkpoint training-log.json describes ` +
        `(${log.checkpoint.sha256.slice(0, 16)}…): convert the checkpoint of the latest train.py run.`,
    );
  }

  const bagnetLog = log.results.bagnet;
  const notes =
    `Trained by scripts/train-default/train.py (seed ${log.recipe.seed}) on Fashion-MNIST ` +
    `(MIT licence, Copyright 2017 Zalando SE), 28×28 grayscale repeated as RGB. ` +
    `${log.recipe.epochs} epochs, test accuracy ${bagnetLog.testAccuracy} on the 10,000 held-out test images` +
    (log.results.plainCnn ? ` (plain CNN with a global receptive field: ${log.results.plainCnn.testAccuracy})` : '') +
    '. Knows clothes, not photos. See MODEL_CARD.md.';

  // Everything the checkpoint does not record, as `bagnet convert` flags.
  const work = mkdtempSync(join(tmpdir(), 'bagnet-default-'));
  const labelsFile = join(work, 'labels.txt');
  writeFileSync(labelsFile, `${log.labels.join('\n')}\n`);
  const converted = join(work, 'model');
  const argv = [
    'convert',
    checkpoint,
    '--out',
    converted,
    '--stage-strides',
    log.bagnetArchitecture.stageStrides.join(','),
    '--input-size',
    '28',
    '--mean',
    log.normalization.mean.join(','),
    '--std',
    log.normalization.std.join(','),
    '--labels',
    labelsFile,
    '--notes',
    notes,
    '--quiet',
  ];
  console.log(`bagnet ${argv.map((a) => (/^[\w./,:=-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`);
  let stderr = '';
  const code = await run(argv, {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void (stderr += t),
    interactive: false,
  });
  if (code !== 0) fail(`bagnet convert exited with ${code}: ${stderr.trim()}`);

  await useBackend('cpu');
  const net = await loadBagNetFromDisk(converted);
  try {
    const want = log.bagnetArchitecture;
    const grid = net.geometry(28, 28);
    if (net.receptiveField !== want.receptiveField || net.stride !== want.stride) {
      fail(`converted q/stride ${net.receptiveField}/${net.stride} ≠ trained ${want.receptiveField}/${want.stride}.`);
    }
    if (grid.rows !== want.gridOn28x28[0] || grid.cols !== want.gridOn28x28[1]) {
      fail(`grid on 28×28 is ${grid.rows}×${grid.cols}, training logged ${want.gridOn28x28.join('×')}.`);
    }
    if (net.metadata.provenance.sha256 !== sha256) fail('the converted model records another checkpoint hash.');
    const worst = await checkAgainstPyTorch(net, reference);
    if (!(worst <= LOGIT_TOLERANCE)) {
      fail(`converted logits differ from PyTorch by up to ${worst.toExponential(2)} (> ${LOGIT_TOLERANCE}).`);
    }
    const files = readdirSync(converted);
    const weightBytes = files
      .filter((f) => f.endsWith('.bin'))
      .reduce((n, f) => n + statSync(join(converted, f)).size, 0);
    if (weightBytes > MAX_MODEL_BYTES) fail(`weights are ${weightBytes} bytes, over the 2 MB budget.`);

    // Replace the shipped model.json and shards (and only those: the model card and log stay).
    for (const f of readdirSync(outDir)) {
      if (f === 'model.json' || /^group\d+-shard\d+of\d+\.bin$/.test(f)) rmSync(join(outDir, f));
    }
    for (const f of files) copyFileSync(join(converted, f), join(outDir, f));
    await formatTrainingOutputs();
    console.log(
      `q = ${net.receptiveField}, stride ${net.stride}, ${grid.rows}×${grid.cols} cells on 28×28; ` +
        `max |tfjs − PyTorch| on ${reference.samples.length} samples ${worst.toExponential(2)}`,
    );
    for (const f of files)
      console.log(`wrote ${relative(repo, join(outDir, f))} (${statSync(join(outDir, f)).size} bytes)`);
  } finally {
    net.dispose();
    rmSync(work, { recursive: true, force: true });
  }
  const cnnCheckpoint = log.results.plainCnn?.checkpoint;
  if (cnnCheckpoint) {
    await convertPlainCnn(log, args['plain-cnn-checkpoint'] ?? join(dirname(checkpoint), cnnCheckpoint.file));
  }
}

await main();
