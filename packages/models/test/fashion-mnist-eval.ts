/**
 * The one tfjs evaluation of the shipped models on Fashion-MNIST's 10,000 test images: used by
 * accuracy.test.ts (which asserts the model card's numbers) and by
 * scripts/train-default/evaluate.ts (which writes them into the card), so both measure the same way.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { normalizePixels } from '@bagnet-vis/core';
import type { Normalization } from '@bagnet-vis/core';

/** Where Debian's `dataset-fashion-mnist` puts the IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const TEST_IMAGES = `${FASHION_MNIST_DIR}/t10k-images-idx3-ubyte.gz`;
export const TEST_LABELS = `${FASHION_MNIST_DIR}/t10k-labels-idx1-ubyte.gz`;

export const haveFashionMnist = (): boolean => existsSync(TEST_IMAGES) && existsSync(TEST_LABELS);

/** Reads an unsigned-byte IDX file (gzipped). */
export function readIdx(path: string): { data: Uint8Array; shape: number[] } {
  const b = gunzipSync(readFileSync(path));
  if (b[0] !== 0 || b[1] !== 0 || b[2] !== 0x08) throw new Error(`${path} is not an unsigned-byte IDX file`);
  const ndim = b[3]!;
  const shape = Array.from({ length: ndim }, (_, i) => b.readUInt32BE(4 + 4 * i));
  const size = shape.reduce((n, d) => n * d, 1);
  if (b.length !== 4 + 4 * ndim + size) throw new Error(`${path}: ${b.length} bytes for shape ${shape.join('×')}`);
  return { data: new Uint8Array(b.buffer, b.byteOffset + 4 + 4 * ndim, size), shape };
}

export interface FashionMnistTest {
  /** N × 28 × 28 gray pixels. */
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

/** The official 10,000-image test set. */
export function readFashionMnistTest(): FashionMnistTest {
  const images = readIdx(TEST_IMAGES);
  const labels = readIdx(TEST_LABELS);
  if (images.shape.length !== 3 || images.shape[1] !== 28 || images.shape[2] !== 28) {
    throw new Error(`unexpected test image shape ${images.shape.join('×')}`);
  }
  if (labels.shape[0] !== images.shape[0]) throw new Error('test images and labels differ in count');
  return { images: images.data, labels: labels.data, count: images.shape[0]! };
}

export interface Evaluation {
  readonly images: number;
  readonly correct: number;
  /** correct / images. */
  readonly accuracy: number;
  /** confusion[true][predicted] image counts. */
  readonly confusion: number[][];
  /** Accuracy per true class (recall). */
  readonly perClass: number[];
}

/**
 * Classifies every test image with `logits` (normalised N×28×28×3 → N×classes; gray repeated as
 * RGB and normalised by core's normalizePixels, as core does for a single image) and counts.
 */
export async function evaluateOnTestSet(
  data: FashionMnistTest,
  normalization: Normalization,
  numClasses: number,
  logits: (x: Tensor4D) => Tensor2D,
  batch = 500,
): Promise<Evaluation> {
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let start = 0; start < data.count; start += batch) {
    const n = Math.min(batch, data.count - start);
    const rgb = new Uint8Array(n * 784 * 3);
    for (let p = 0; p < n * 784; p++) rgb.fill(data.images[start * 784 + p]!, p * 3, p * 3 + 3);
    const predicted = tf.tidy(() => {
      // Normalisation is per pixel, so the batch goes through normalizePixels as one tall image.
      const tall = tf.tensor3d(rgb, [n * 28, 28, 3], 'int32') as Tensor3D;
      const x = tf.reshape(normalizePixels(tall, normalization), [n, 28, 28, 3]) as Tensor4D;
      return tf.argMax(logits(x), 1);
    });
    const p = await predicted.data();
    predicted.dispose();
    for (let b = 0; b < n; b++) confusion[data.labels[start + b]!]![p[b]!]!++;
  }
  const correct = confusion.reduce((s, row, c) => s + row[c]!, 0);
  return {
    images: data.count,
    correct,
    accuracy: correct / data.count,
    confusion,
    perClass: confusion.map((row, c) => row[c]! / row.reduce((s, v) => s + v, 0)),
  };
}

/** URL of the committed plain-CNN baseline's model.json (written by scripts/train-default/convert.ts). */
export const plainCnnUrl = new URL('../baseline/model.json', import.meta.url);

export interface PlainCnnMetadata {
  readonly description: string;
  readonly labels: string[];
  readonly inputSize: [number, number];
  readonly normalization: { mean: [number, number, number]; std: [number, number, number] };
  readonly widths: number[];
  readonly strides: number[];
  readonly provenance: { sha256: string; converter: string };
}

/**
 * Loads the plain-CNN baseline (a plain tfjs layers model: it has no evidence map, so it is no
 * BagNet) with tfjs-layers' own loader, from model.json and its shards on disk.
 */
export async function loadPlainCnn(
  modelJsonUrl: URL = plainCnnUrl,
): Promise<{ model: tfl.LayersModel; metadata: PlainCnnMetadata; weightBytes: number }> {
  const json = JSON.parse(readFileSync(modelJsonUrl, 'utf8')) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    userDefinedMetadata?: { plainCnn?: PlainCnnMetadata };
  };
  const metadata = json.userDefinedMetadata?.plainCnn;
  if (!metadata) throw new Error(`${modelJsonUrl.href} has no userDefinedMetadata.plainCnn`);
  const shards = json.weightsManifest.flatMap((g) => g.paths).map((p) => readFileSync(new URL(p, modelJsonUrl)));
  const weightData = new Uint8Array(shards.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of shards) {
    weightData.set(b, at);
    at += b.length;
  }
  const model = await tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: weightData.buffer,
    }),
  );
  return { model, metadata, weightBytes: weightData.length };
}

/** Accuracy in percent with two decimals, as the model card writes it ("92.57"). */
export const percent = (accuracy: number): string => (100 * accuracy).toFixed(2);
