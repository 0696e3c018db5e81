/**
 * Where the default model lives. The files sit next to this package's code, so the URL works
 * from the source tree, from `dist/`, and from a CDN that serves the package's files.
 */

/**
 * URL of the default model's `model.json` (a BagNet with q = 13 px patches, stride 2, trained on
 * Fashion-MNIST; see `default/MODEL_CARD.md`). Load it with `loadBagNet(defaultModelUrl.href)`
 * from `@bagnet-vis/core`, or in Node with `loadBagNetFromDisk(fileURLToPath(defaultModelUrl))`.
 */
export const defaultModelUrl: URL = new URL('../default/model.json', import.meta.url);

/** URL of the default model's card (data, architecture, accuracy, limits). */
export const defaultModelCardUrl: URL = new URL('../default/MODEL_CARD.md', import.meta.url);

/** Image size the default model was trained at: 28×28 px (any size ≥ 11 px works). */
export const DEFAULT_MODEL_INPUT_SIZE: readonly [number, number] = [28, 28];
