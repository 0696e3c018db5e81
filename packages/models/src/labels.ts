/**
 * The classes of the default model: Fashion-MNIST's labels, in its label-index order
 * (github.com/zalandoresearch/fashion-mnist).
 */
export const FASHION_MNIST_LABELS = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

/** One of {@link FASHION_MNIST_LABELS}. */
export type FashionMnistLabel = (typeof FASHION_MNIST_LABELS)[number];
