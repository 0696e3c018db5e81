/**
 * Evidence maps shared between elements: the same image evaluated by the same model runs once,
 * however many elements show it. Entries are keyed by model and image (an image URL, resolved, or
 * the image object itself) and reference-counted; releasing the last lease cancels a run in
 * progress or disposes the finished map.
 */
import { BagNetAbortError } from '@bagnet-vis/core';
import type { BagNet, BagNetImageInput, EvidenceMap } from '@bagnet-vis/core';

import { loadImage } from './image-source.js';
import { pinModel } from './model-cache.js';

/** The result of evaluating one image. */
export interface EvaluatedImage {
  /** The image as evaluated (the decoded `<img>` for a URL). */
  readonly image: BagNetImageInput;
  /** Owned by the cache: do not dispose it; it stays valid while the lease is held. */
  readonly evidence: EvidenceMap;
}

/** A claim on a cached evaluation: await `result`, call `release()` exactly once when done. */
export interface EvidenceLease {
  readonly result: Promise<EvaluatedImage>;
  release(): void;
}

/** Which step failed, so elements can say whether the image or the model was at fault. */
export class ImageLoadError extends Error {
  constructor(readonly error: Error) {
    super(error.message, { cause: error });
    this.name = 'ImageLoadError';
  }
}

interface Entry {
  refs: number;
  readonly controller: AbortController;
  readonly result: Promise<EvaluatedImage>;
  done?: EvaluatedImage;
  readonly remove: () => void;
}

const byModel = new WeakMap<BagNet, Map<unknown, Entry>>();
let evaluations = 0;

/** An image URL resolved against the document, or the image object: the cache key. */
function keyOf(image: string | BagNetImageInput): unknown {
  return typeof image === 'string'
    ? new URL(image, typeof document !== 'undefined' ? document.baseURI : undefined).href
    : image;
}

async function evaluate(model: BagNet, source: string | BagNetImageInput, signal: AbortSignal) {
  const unpin = pinModel(model);
  try {
    let image: BagNetImageInput;
    if (typeof source === 'string') {
      try {
        image = await loadImage(source, signal);
      } catch (e) {
        if (e instanceof BagNetAbortError) throw e;
        throw new ImageLoadError(e instanceof Error ? e : new Error(String(e)));
      }
    } else image = source;
    evaluations++;
    const evidence = await model.evidence(image, { signal });
    return { image, evidence };
  } finally {
    unpin();
  }
}

/**
 * Takes a lease on the evaluation of `image` (a URL or an image input) by `model`, starting it on
 * first use. A failed evaluation is not cached.
 */
export function acquireEvidence(model: BagNet, image: string | BagNetImageInput): EvidenceLease {
  let perModel = byModel.get(model);
  if (perModel === undefined) {
    perModel = new Map();
    byModel.set(model, perModel);
  }
  const map = perModel;
  const key = keyOf(image);
  let entry = map.get(key);
  if (entry === undefined) {
    const controller = new AbortController();
    const result = evaluate(model, image, controller.signal);
    const created: Entry = {
      refs: 0,
      controller,
      result,
      remove: () => {
        if (map.get(key) === created) map.delete(key);
      },
    };
    entry = created;
    map.set(key, created);
    result.then(
      (r) => {
        if (created.refs > 0) created.done = r;
        else r.evidence.dispose();
      },
      () => created.remove(),
    );
  }
  entry.refs++;
  const held = entry;
  let released = false;
  return {
    result: held.result,
    release() {
      if (released) return;
      released = true;
      held.refs--;
      if (held.refs > 0) return;
      held.remove();
      if (held.done !== undefined) held.done.evidence.dispose();
      else held.controller.abort(new BagNetAbortError('No element shows this image any more.'));
    },
  };
}

/** How many model evaluations the cache has started since the page loaded (for tests). */
export function evidenceEvaluations(): number {
  return evaluations;
}
