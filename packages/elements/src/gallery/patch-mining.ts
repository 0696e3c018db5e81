/**
 * `<patch-gallery>`'s set mode as a lit reactive controller: mines the top patches of a class
 * across a set of images with core's streaming `PatchMiner`, one image at a time through the shared
 * evidence cache, and cuts each ranked patch out of its image while that image is loaded. A new
 * request (model, images, class, k or lists) cancels the run in progress; the host renders on
 * every image done.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { BagNetInputError, PatchMiner, raceAbort } from '@bagnet-vis/core';
import type { BagNet, BagNetImageInput, MinedPatch } from '@bagnet-vis/core';

import { acquireEvidence, ImageLoadError } from '../shared/evidence-cache.js';
import { elementError, isAbort } from '../shared/events.js';
import type { ElementErrorDetail } from '../shared/events.js';
import { canvasOf, crop } from './tiles.js';
import type { GalleryShow, GalleryTile } from './tiles.js';

/** Where a crop is kept: image index and cell. */
const cropKey = (p: { source: number; row: number; col: number }) => `${p.source}:${p.row},${p.col}`;

/** What to mine: the model, the images, the class (undefined: each run's top class) and the lists. */
export interface MiningRequest {
  readonly model: BagNet | undefined;
  readonly sources: readonly (string | BagNetImageInput)[];
  readonly classIndex: number | undefined;
  readonly k: number;
  readonly show: GalleryShow;
}

/** Where a mining run stands: the tiles so far, progress and the images it skipped. */
export interface MiningState {
  readonly classIndex?: number;
  readonly most: readonly GalleryTile[];
  readonly least: readonly GalleryTile[];
  readonly done: number;
  readonly total: number;
  readonly running: boolean;
  readonly errors: readonly ElementErrorDetail[];
}

type Mined = MiningState & { readonly key: readonly unknown[] };

/** Mines the patches of a set of images for one host element. */
export class PatchMiningController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  #mined?: Mined;
  #mining?: AbortController;

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    host.addController(this);
  }

  /** The current run's tiles and progress; undefined when stopped. */
  get state(): MiningState | undefined {
    return this.#mined;
  }

  hostDisconnected(): void {
    this.stop();
  }

  /** Cancels the run and forgets its tiles. */
  stop(): void {
    this.#mining?.abort();
    this.#mining = undefined;
    this.#mined = undefined;
  }

  /** Starts a run for `request`, or keeps the one in progress when it was started for the same. */
  sync(request: MiningRequest): void {
    const { model, sources, classIndex: wanted, k, show } = request;
    const key = [model, ...sources, '|', wanted, k, show];
    const same = this.#mined && this.#mined.key.length === key.length && this.#mined.key.every((v, i) => v === key[i]);
    if (same) return;
    this.#mining?.abort();
    this.#mining = undefined;
    this.#mined = { key, most: [], least: [], done: 0, total: sources.length, running: false, errors: [] };
    if (model === undefined) return;
    const controller = new AbortController();
    this.#mining = controller;
    void this.#mine(key, model, sources, wanted, k, show, controller.signal);
  }

  /**
   * Evaluates the images one at a time through the evidence cache and ranks their patches with
   * core's streaming `PatchMiner`: memory stays bounded by one image plus 2k crops, whatever the
   * size of the set.
   */
  async #mine(
    key: readonly unknown[],
    model: BagNet,
    sources: readonly (string | BagNetImageInput)[],
    wanted: number | undefined,
    k: number,
    show: GalleryShow,
    signal: AbortSignal,
  ): Promise<void> {
    let classIndex = wanted;
    let miner: PatchMiner | undefined;
    /** Pixels and shares of the patches currently ranked, cut while their image was loaded. */
    const crops = new Map<string, Pick<GalleryTile, 'crop' | 'contribution' | 'share'>>();
    let most: GalleryTile[] = [];
    let least: GalleryTile[] = [];
    const errors: ElementErrorDetail[] = [];
    const publish = (done: number, running: boolean) => {
      if (signal.aborted) return;
      this.#mined = {
        key,
        ...(classIndex !== undefined && { classIndex }),
        most,
        least,
        done,
        total: sources.length,
        running,
        errors: [...errors],
      };
      this.#host.requestUpdate();
    };
    if (classIndex !== undefined) {
      try {
        model.checkClass(classIndex);
      } catch (e) {
        errors.push(elementError('class-index', e));
        publish(0, false);
        return;
      }
    }
    publish(0, true);
    for (let i = 0; i < sources.length; i++) {
      if (signal.aborted) return;
      const lease = acquireEvidence(model, sources[i]!);
      try {
        const { evidence, image } = await raceAbort(lease.result, signal, 'Computing the evidence');
        classIndex ??= evidence.topClasses(1)[0]?.index ?? 0;
        miner ??= new PatchMiner({ classes: [classIndex], k });
        miner.add(i, evidence);
        const ranked = miner.results()[0]!;
        // Crop the patches of this image that made it into the lists now: later images can only
        // push them out, so no image is ever needed twice.
        const fresh = [...ranked.most, ...ranked.least].filter((p) => p.source === i && !crops.has(cropKey(p)));
        if (fresh.length > 0) {
          const canvas = await canvasOf(image);
          const classEvidence = evidence.classEvidence(classIndex);
          for (const p of fresh) {
            const { contribution, share } = classEvidence.patch(p.row, p.col);
            crops.set(cropKey(p), { crop: crop(canvas, p.rect), contribution, share });
          }
        }
        const kept = new Set([...ranked.most, ...ranked.least].map(cropKey));
        for (const key of crops.keys()) if (!kept.has(key)) crops.delete(key);
        const c = classIndex;
        const tiles = (order: 'most' | 'least', patches: readonly MinedPatch[]): GalleryTile[] =>
          show === 'both' || show === order
            ? patches.map((p, r) => ({
                rank: r + 1,
                row: p.row,
                col: p.col,
                rect: p.rect,
                logit: p.logit,
                ...crops.get(cropKey(p))!,
                order,
                classIndex: c,
                imageIndex: p.source,
              }))
            : [];
        most = tiles('most', ranked.most);
        least = tiles('least', ranked.least);
      } catch (e) {
        if (signal.aborted || isAbort(e)) return;
        const error = e instanceof ImageLoadError ? e.error : e;
        const name = typeof sources[i] === 'string' ? JSON.stringify(sources[i]) : `#${i + 1}`;
        errors.push(
          elementError(
            e instanceof ImageLoadError || e instanceof BagNetInputError ? 'image' : 'evidence',
            new BagNetInputError(
              `Image ${name} of the set was skipped: ${error instanceof Error ? error.message : String(error)}`,
              { cause: error },
            ),
          ),
        );
      } finally {
        lease.release();
      }
      publish(i + 1, i + 1 < sources.length);
    }
  }
}
