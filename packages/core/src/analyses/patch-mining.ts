/**
 * Patch mining (the paper's figure of most informative patches): the k patches with the most and
 * the least evidence for a class across a stream of images. Streaming: one image at a time is read,
 * run and released; the miner keeps only k patches per class and order (a bounded heap), never the
 * maps or the images — memory O(classes × k) however many images pass. A patch is its image's
 * index in the stream, its evidence-map cell and image rectangle, and its logit; crop the pixels
 * from the source image when showing it.
 */
import type { PatchRect } from '../architecture.js';
import type { BagNet } from '../bagnet.js';
import { BagNetInputError, throwIfAborted } from '../errors.js';
import type { EvidenceMap } from '../evidence-map.js';
import type { BagNetImageInput } from '../preprocess.js';
import { DEFAULT_YIELD_INTERVAL_MS, TimeSlicer } from '../scheduling.js';
import { positiveInteger } from './classifier.js';

/** What ranks a patch: its logit, then (for ties) its position in the stream. */
interface PatchKey {
  readonly source: number;
  readonly row: number;
  readonly col: number;
  readonly logit: number;
}

/** One mined patch. */
export interface MinedPatch extends PatchKey {
  /** Index of the source image in the stream (0-based). */
  readonly source: number;
  /** Evidence-map cell of the patch. */
  readonly row: number;
  readonly col: number;
  /** The q×q image rectangle the patch covers in its source image. */
  readonly rect: PatchRect;
  /** The patch's class logit. */
  readonly logit: number;
}

/** The mined patches of one class, best first: highest logits in `most`, lowest in `least`. */
export interface MinedClass {
  readonly classIndex: number;
  readonly most: readonly MinedPatch[];
  readonly least: readonly MinedPatch[];
}

/** Options of {@link PatchMiner}. */
export interface PatchMinerOptions {
  /** Class indices to mine. */
  readonly classes: readonly number[];
  /** Patches kept per class and order. */
  readonly k: number;
}

/**
 * Keeps the `size` items ranked first by `before` (a strict order: `before(a, b)` when a ranks
 * ahead of b). The root of the binary heap is the last-ranked item kept.
 */
class BoundedHeap<T extends PatchKey> {
  readonly #items: T[] = [];
  readonly #size: number;
  readonly #before: (a: PatchKey, b: PatchKey) => boolean;

  constructor(size: number, before: (a: PatchKey, b: PatchKey) => boolean) {
    this.#size = size;
    this.#before = before;
  }

  /** Whether `item` would be kept. */
  admits(item: PatchKey): boolean {
    return this.#items.length < this.#size || this.#before(item, this.#items[0]!);
  }

  push(item: T): void {
    const h = this.#items;
    if (h.length < this.#size) {
      h.push(item);
      let i = h.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.#before(h[p]!, h[i]!)) break;
        [h[p], h[i]] = [h[i]!, h[p]!];
        i = p;
      }
    } else if (this.#before(item, h[0]!)) {
      h[0] = item;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let last = i;
        if (l < h.length && this.#before(h[last]!, h[l]!)) last = l;
        if (r < h.length && this.#before(h[last]!, h[r]!)) last = r;
        if (last === i) break;
        [h[last], h[i]] = [h[i]!, h[last]!];
        i = last;
      }
    }
  }

  /** The kept items, first-ranked first. */
  sorted(): T[] {
    return [...this.#items].sort((a, b) => (this.#before(a, b) ? -1 : this.#before(b, a) ? 1 : 0));
  }
}

const byPosition = (a: PatchKey, b: PatchKey) => a.source - b.source || a.row - b.row || a.col - b.col;
const moreEvidence = (a: PatchKey, b: PatchKey) => a.logit > b.logit || (a.logit === b.logit && byPosition(a, b) < 0);
const lessEvidence = (a: PatchKey, b: PatchKey) => a.logit < b.logit || (a.logit === b.logit && byPosition(a, b) < 0);

/**
 * Streaming top-k / bottom-k patch selection over many evidence maps: call {@link add} per image,
 * then {@link results}. Ties rank the earlier image, row, column first.
 */
export class PatchMiner {
  readonly classes: readonly number[];
  readonly k: number;
  readonly #most: BoundedHeap<MinedPatch>[];
  readonly #least: BoundedHeap<MinedPatch>[];
  #images = 0;

  /** An empty miner; throws {@link BagNetInputError} for an empty or duplicate class list or a bad k. */
  constructor(options: PatchMinerOptions) {
    this.k = positiveInteger(options.k, 'k', 'PatchMiner');
    if (options.classes.length === 0 || new Set(options.classes).size !== options.classes.length) {
      throw new BagNetInputError(
        `PatchMiner: classes must list at least one class, each once; got [${options.classes.join(', ')}].`,
      );
    }
    this.classes = [...options.classes];
    this.#most = this.classes.map(() => new BoundedHeap(this.k, moreEvidence));
    this.#least = this.classes.map(() => new BoundedHeap(this.k, lessEvidence));
  }

  /** Number of evidence maps added so far. */
  get images(): number {
    return this.#images;
  }

  /** Offers every patch of `evidence` (the map of image number `source`); keeps what ranks in the top k. */
  add(source: number, evidence: EvidenceMap): void {
    const { geometry, numClasses, logitMap } = evidence;
    this.classes.forEach((c) => evidence.checkClass(c));
    this.classes.forEach((c, k) => {
      const most = this.#most[k]!;
      const least = this.#least[k]!;
      for (let row = 0; row < geometry.rows; row++) {
        for (let col = 0; col < geometry.cols; col++) {
          const logit = logitMap[(row * geometry.cols + col) * numClasses + c]!;
          // Cheap probe first: most cells are rejected without allocating a patch.
          const probe: PatchKey = { source, row, col, logit };
          const inMost = most.admits(probe);
          const inLeast = least.admits(probe);
          if (!inMost && !inLeast) continue;
          const patch: MinedPatch = { source, row, col, rect: geometry.cellRect(row, col), logit };
          if (inMost) most.push(patch);
          if (inLeast) least.push(patch);
        }
      }
    });
    this.#images++;
  }

  /**
   * Offers one patch of the class at `position` in `classes` (e.g. a patch kept by an earlier run
   * or another shard); keeps it where it ranks in the top k. Offer each patch once.
   */
  offer(position: number, patch: MinedPatch): void {
    const most = this.#most[position];
    const least = this.#least[position];
    if (most === undefined || least === undefined) {
      throw new BagNetInputError(
        `PatchMiner.offer(): position ${position} is not one of the ${this.classes.length} classes.`,
      );
    }
    if (most.admits(patch)) most.push(patch);
    if (least.admits(patch)) least.push(patch);
  }

  /** Counts `n` more images as mined (their patches offered through {@link offer}). */
  countImages(n: number): void {
    this.#images += n;
  }

  /** The mined patches per class, in the order of `classes`. */
  results(): MinedClass[] {
    return this.classes.map((classIndex, k) => ({
      classIndex,
      most: this.#most[k]!.sorted(),
      least: this.#least[k]!.sorted(),
    }));
  }
}

/** Progress of {@link minePatches}: images done, and the total when known. */
export interface MiningProgress {
  readonly images: number;
  readonly total?: number;
  readonly fraction?: number;
}

/** Options of {@link minePatches}. */
export interface MiningOptions extends PatchMinerOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: MiningProgress) => void;
  /** Number of images, for progress fractions (default: the length of an array input). */
  readonly total?: number;
  /** Minimum work time between yields to the event loop, in ms (default 30). */
  readonly yieldIntervalMs?: number;
}

const WHAT = 'minePatches()';

/**
 * The k most and least informative patches per class over a stream of images (an array, an
 * iterable or an async iterable, e.g. a generator that loads files one by one). Each image is run
 * through `model` once and released before the next is read. Tensor images are read, not disposed.
 *
 * @throws {BagNetInputError} for bad classes or k, or an unusable image (the message names its index).
 * @throws {BagNetAbortError} when `options.signal` aborts; no tensors are left behind.
 */
export async function minePatches(
  model: BagNet,
  images: Iterable<BagNetImageInput> | AsyncIterable<BagNetImageInput>,
  options: MiningOptions,
): Promise<MinedClass[]> {
  options.classes.forEach((c) => model.checkClass(c));
  const miner = new PatchMiner(options);
  const total = options.total ?? (Array.isArray(images) ? images.length : undefined);
  const slicer = new TimeSlicer(options.yieldIntervalMs ?? DEFAULT_YIELD_INTERVAL_MS);
  throwIfAborted(options.signal, WHAT);
  let source = 0;
  for await (const image of images) {
    throwIfAborted(options.signal, WHAT);
    let evidence: EvidenceMap;
    try {
      evidence = await model.evidence(image, { signal: options.signal });
    } catch (e) {
      if (e instanceof BagNetInputError) {
        throw new BagNetInputError(`${WHAT}: image #${source}: ${e.message}`, { cause: e });
      }
      throw e;
    }
    try {
      miner.add(source, evidence);
    } finally {
      evidence.dispose();
    }
    source++;
    options.onProgress?.({
      images: source,
      ...(total !== undefined ? { total, fraction: Math.min(1, source / total) } : {}),
    });
    await slicer.step();
  }
  throwIfAborted(options.signal, WHAT);
  return miner.results();
}
