/**
 * Sample images for the default model: Fashion-MNIST test images the model never saw in
 * training, 5 per class, as 28×28 grayscale PNG files in `samples/`.
 */
import { FASHION_MNIST_LABELS } from './labels.js';
import type { FashionMnistLabel } from './labels.js';
import { SAMPLE_LIST } from './sample-list.generated.js';

/** One sample image and its true class. */
export interface SampleImage {
  /** File name inside the package's `samples/` folder. */
  readonly file: string;
  /** URL of the PNG file. */
  readonly url: URL;
  /** Index of the image in the Fashion-MNIST test set (t10k). */
  readonly testIndex: number;
  /** True class index (into {@link FASHION_MNIST_LABELS}). */
  readonly label: number;
  /** True class name. */
  readonly labelName: FashionMnistLabel;
}

/** The held-out sample images with their true labels, in test-set order. */
export const sampleImages: readonly SampleImage[] = SAMPLE_LIST.map((s) => ({
  ...s,
  url: new URL(`../samples/${s.file}`, import.meta.url),
  labelName: FASHION_MNIST_LABELS[s.label]!,
}));
