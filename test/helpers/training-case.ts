/**
 * The training case of packages/core/test/training.browser.test.ts and of its independent PyTorch
 * reference (scripts/training-reference/reference.py): a tiny random BagNet-9 (seed 1) trained on
 * 16 synthetic 20×20 stripes, horizontal or vertical, with `trainBagNet`'s defaults (Adam, learning
 * rate 1e-3, seed 0) in batches of 8 with a quarter held out.
 *
 * {@link trainingCaseInputs} is everything the reference replays — the initial weights, the raw
 * images, the labels, the held-out split and each epoch's batches in the order `trainBagNet` draws
 * them — and {@link inputsDigest} its SHA-256, which the fixture records: a test whose inputs
 * drifted from the fixture's fails on the digest, not on a loss.
 */
import { BagNet, bagnetArchitecture } from '@bagnet-vis/core';
import type { BagNetArchitecture, Normalization, RawImage } from '@bagnet-vis/core';

import { seededRandom } from '../../packages/core/src/analyses/random.js';
import { epochBatches, heldOutSplit } from '../../packages/core/src/training/split.js';
import { seededStripes } from './images.js';

export const STRIPES_ARCHITECTURE: BagNetArchitecture = bagnetArchitecture({
  q: 9,
  widthScale: 0.03125,
  blocks: [1, 1, 1, 1],
  numClasses: 2,
});
export const STRIPES_NORMALIZATION: Normalization = {
  mean: [0.5, 0.5, 0.5],
  std: [0.25, 0.25, 0.25],
  channelOrder: 'RGB',
};
/** Options of `trainBagNet` in the case (the rest are its defaults: Adam, 1e-3, seed 0). */
export const STRIPES_TRAINING = { batchSize: 8, validationSplit: 0.25 } as const;
/** `trainBagNet`'s defaults the reference must know. */
const DEFAULTS = { seed: 0, learningRate: 1e-3, beta1: 0.9, beta2: 0.999 } as const;

/** The 16 examples: odd ones vertical (label 1), even ones horizontal (label 0). */
export function stripesExamples(): { image: RawImage & { readonly data: Uint8Array }; label: number }[] {
  return Array.from({ length: 16 }, (_, i) => ({ image: seededStripes(i % 2 === 1, i + 1), label: i % 2 }));
}

/** The untrained model of the case (random weights from seed 1); the caller disposes it. */
export function createStripesNet(): BagNet {
  return BagNet.create(STRIPES_ARCHITECTURE, {
    seed: 1,
    labels: ['horizontal', 'vertical'],
    inputSize: [20, 20],
    normalization: STRIPES_NORMALIZATION,
  });
}

/** What the PyTorch reference replays. Plain JSON. */
export interface TrainingCaseInputs {
  readonly architecture: BagNetArchitecture;
  readonly normalization: Normalization;
  /** Folded weights by core name: HWIO kernels, row-major. */
  readonly weights: Record<string, { readonly shape: readonly number[]; readonly data: number[] }>;
  /** [H, W, 3] RGB bytes of each example. */
  readonly images: { readonly height: number; readonly width: number; readonly data: number[] }[];
  readonly labels: number[];
  readonly training: number[];
  readonly validation: number[];
  /** Per epoch, the batches of example positions in training order. */
  readonly batches: number[][][];
  readonly adam: { readonly learningRate: number; readonly beta1: number; readonly beta2: number };
}

/**
 * The inputs of `epochs` epochs of `trainBagNet(net, stripesExamples(), STRIPES_TRAINING)`: the
 * split and batches come from the same seeded draws as in train.ts (split first, then each epoch's
 * batches, all from one `seededRandom(seed)`).
 */
export async function trainingCaseInputs(net: BagNet, epochs: number): Promise<TrainingCaseInputs> {
  const examples = stripesExamples();
  const weights: Record<string, { shape: readonly number[]; data: number[] }> = {};
  for (const [name, t] of net.getWeights()) {
    weights[name] = { shape: t.shape, data: Array.from(await t.data()) };
    t.dispose();
  }
  const labels = Int32Array.from(examples, (e) => e.label);
  const random = seededRandom(DEFAULTS.seed);
  const split = heldOutSplit(labels, 2, STRIPES_TRAINING.validationSplit, random);
  const batches = Array.from({ length: epochs }, () =>
    epochBatches(split.training, STRIPES_TRAINING.batchSize, random).map((b) => Array.from(b)),
  );
  return {
    architecture: net.metadata.architecture,
    normalization: net.metadata.normalization,
    weights,
    images: examples.map(({ image }) => ({ height: image.height, width: image.width, data: Array.from(image.data) })),
    labels: Array.from(labels),
    training: Array.from(split.training),
    validation: Array.from(split.validation),
    batches,
    adam: { learningRate: DEFAULTS.learningRate, beta1: DEFAULTS.beta1, beta2: DEFAULTS.beta2 },
  };
}

/** SHA-256 (hex) of the inputs' JSON text, as the reference script writes and hashes it. */
export async function inputsDigest(inputs: TrainingCaseInputs): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(inputs));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
