export { DEFAULT_MODEL_INPUT_SIZE, defaultModelCardUrl, defaultModelUrl } from './default-model.js';
export { FASHION_MNIST_LABELS } from './labels.js';
export type { FashionMnistLabel } from './labels.js';
export { photos } from './photos.js';
export type { Photo } from './photos.js';
export { sampleImages } from './samples.js';
export type { SampleImage } from './samples.js';
