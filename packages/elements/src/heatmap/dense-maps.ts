/**
 * The per-pixel maps of `<bagnet-heatmap resolution="dense">`, as a lit reactive controller: it
 * runs core's `denseEvidence` for the model, image and class the heatmap shows, cancels the run
 * when any of them changes (the latest wins), keeps the last few finished maps of the current
 * model and image, and asks the host to render on progress and on every level.
 */
import { html, nothing } from 'lit';
import type { ReactiveController, ReactiveControllerHost, TemplateResult } from 'lit';
import { denseEvidence } from '@bagnet-vis/core';
import type { BagNet, BagNetImageInput, DenseEvidence } from '@bagnet-vis/core';

import { dispatchBagNetEvent, elementError, isAbort } from '../shared/events.js';
import type { ElementErrorDetail } from '../shared/events.js';
import { pinModel } from '../shared/model-cache.js';

/** What a dense map is computed for. */
export interface DenseRequest {
  readonly model: BagNet;
  readonly image: BagNetImageInput;
  readonly classIndex: number;
}

/** A dense computation for one model, image and class, and the levels it delivered. */
export interface DenseRun extends DenseRequest {
  readonly controller: AbortController;
  level?: DenseEvidence;
  /** Share of the work done, 0–1. */
  fraction: number;
  error?: ElementErrorDetail;
}

/** Finished dense maps kept per image, so switching back to a class does not recompute it. */
const DENSE_CACHE_CLASSES = 4;

/** Runs, cancels and caches the dense maps of one host element (which fires `bagnet-dense-level`). */
export class DenseMapsController implements ReactiveController {
  readonly #host: ReactiveControllerHost & HTMLElement;
  #run?: DenseRun;
  /** Final dense maps of the current model and image, by class (most recent last). */
  #done = new Map<number, DenseEvidence>();
  #for?: readonly [BagNet, BagNetImageInput];

  constructor(host: ReactiveControllerHost & HTMLElement) {
    this.#host = host;
    host.addController(this);
  }

  /** The computation in progress, or the one that failed (its `error` set); undefined when idle. */
  get run(): DenseRun | undefined {
    return this.#run;
  }

  /** The dense level to show for `request`: its run's latest level, else its finished map. */
  shown(request: DenseRequest | undefined): DenseEvidence | undefined {
    if (request === undefined) return undefined;
    const { model, image, classIndex } = request;
    const run = this.#run;
    if (run?.model === model && run.image === image && run.classIndex === classIndex && run.level) return run.level;
    const same = this.#for?.[0] === model && this.#for[1] === image;
    return same ? this.#done.get(classIndex) : undefined;
  }

  /** Starts, keeps or cancels the computation to match `request` (undefined: no dense map wanted). */
  sync(request: DenseRequest | undefined): void {
    const sameImage = (r: DenseRequest) => this.#for?.[0] === r.model && this.#for[1] === r.image;
    if (request === undefined || !sameImage(request)) {
      this.#done.clear();
      this.#for = request === undefined ? undefined : [request.model, request.image];
    }
    const run = this.#run;
    const sameRun = (r: DenseRequest) =>
      r.model === run?.model && r.image === run.image && r.classIndex === run.classIndex;
    if (run && (request === undefined || !sameRun(request))) {
      run.controller.abort(); // a change cancels the computation in progress (latest wins)
      this.#run = undefined;
    }
    if (request === undefined || this.#run !== undefined || this.#done.has(request.classIndex)) return;
    const next: DenseRun = { ...request, controller: new AbortController(), fraction: 0 };
    this.#run = next;
    void this.#compute(next);
  }

  /** The progress line of the run in progress, if any. */
  renderProgress(): TemplateResult | typeof nothing {
    const run = this.#run;
    if (run === undefined || run.error !== undefined) return nothing;
    const stride = run.level?.stride;
    return html`<div part="status" class="status" role="status">
      <progress aria-label="Computing the dense map" max="1" value=${run.fraction}></progress>
      Dense map${stride !== undefined ? `: ${stride} px detail` : ''} (${Math.round(run.fraction * 100)} %)
    </div>`;
  }

  hostDisconnected(): void {
    this.#run?.controller.abort();
    this.#run = undefined;
    this.#done.clear();
    this.#for = undefined;
  }

  async #compute(run: DenseRun): Promise<void> {
    const { signal } = run.controller;
    const host = this.#host;
    const unpin = pinModel(run.model); // weights stay alive until the run has stopped
    try {
      const final = await denseEvidence(run.model, run.image, {
        classes: [run.classIndex],
        signal,
        onProgress: (p) => {
          run.fraction = p.fraction;
          if (this.#run === run) host.requestUpdate();
        },
        onLevel: (level) => {
          if (signal.aborted) return;
          run.level = level;
          host.requestUpdate();
          dispatchBagNetEvent(host, 'bagnet-dense-level', {
            classIndex: run.classIndex,
            stride: level.stride,
            isFinal: level.isFinal,
          });
        },
      });
      if (signal.aborted) return;
      this.#done.delete(run.classIndex);
      this.#done.set(run.classIndex, final);
      for (const old of this.#done.keys()) {
        if (this.#done.size <= DENSE_CACHE_CLASSES) break;
        this.#done.delete(old);
      }
    } catch (e) {
      if (signal.aborted || isAbort(e)) return;
      run.error = elementError('evidence', e);
    } finally {
      unpin();
      if (this.#run === run && run.error === undefined) this.#run = undefined;
      host.requestUpdate();
    }
  }
}
