/**
 * The default model of @bagnet-vis/models (BagNet-11 on Fashion-MNIST, 28×28 images) and its
 * held-out sample images, as the docs site serves them (docs/.storybook/main.ts `staticDirs`):
 * the URLs an app would put in `model-src` and `src`.
 */
import { loadBagNet } from '@bagnet-vis/core';
import type { BagNet } from '@bagnet-vis/core';

/** URL of the default model's model.json, relative to the story page. */
export const DEFAULT_MODEL = 'models/default/model.json';

/** Held-out Fashion-MNIST test images, one or two per class (files in packages/models/samples/). */
export const SAMPLES = {
  tShirt: 'models/samples/test-05732-t-shirt-top.png',
  trouser: 'models/samples/test-00041-trouser.png',
  pullover: 'models/samples/test-01127-pullover.png',
  dress: 'models/samples/test-04496-dress.png',
  coat: 'models/samples/test-03220-coat.png',
  sandal: 'models/samples/test-00445-sandal.png',
  shirt: 'models/samples/test-04518-shirt.png',
  sneaker: 'models/samples/test-00102-sneaker.png',
  sneaker2: 'models/samples/test-01024-sneaker.png',
  sneaker3: 'models/samples/test-01915-sneaker.png',
  sneaker4: 'models/samples/test-02555-sneaker.png',
  bag: 'models/samples/test-00034-bag.png',
  ankleBoot: 'models/samples/test-01982-ankle-boot.png',
} as const;

/** Index of "Sneaker" in the default model's labels. */
export const SNEAKER = 7;

let shared: Promise<BagNet> | undefined;

/**
 * The default model, loaded once per page for stories that use the JavaScript API directly (the
 * elements share their own cache). Never disposed: it lives as long as the page.
 */
export function defaultModel(): Promise<BagNet> {
  shared ??= loadBagNet(new URL(DEFAULT_MODEL, document.baseURI).href).catch((e: unknown) => {
    shared = undefined;
    throw e;
  });
  return shared;
}

/** Loads `src` as a decoded `<img>` (rejects with the URL when it cannot be loaded). */
export function loadImage(src: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`Could not load the image ${src}.`));
    img.src = src;
  });
}
