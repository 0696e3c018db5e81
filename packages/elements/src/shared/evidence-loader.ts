/**
 * EvidenceLoader: the reactive controller that turns an element's inputs (`model-src` / `.model`,
 * `src` / `.image`, or a precomputed `.evidence`) into an evidence map, through the shared model
 * and evidence caches. The latest inputs win: a change cancels the run in progress. Leases are
 * released when the host disconnects (deferred by a microtask, so moving an element in the DOM
 * does not reload its model).
 */
import { BagNetBackendError, BagNetInputError, raceAbort } from '@bagnet-vis/core';
import type { BagNet, BagNetImageInput, EvidenceMap } from '@bagnet-vis/core';
import type { ReactiveController, ReactiveControllerHost } from 'lit';

import { acquireEvidence, ImageLoadError } from './evidence-cache.js';
import type { EvidenceLease } from './evidence-cache.js';
import { elementError, isAbort } from './events.js';
import type { ElementErrorCode, ElementErrorDetail } from './events.js';
import { gpuContextLost, observeGpuContext, watchGpuContext } from './gpu-context.js';
import { loadImage } from './image-source.js';
import { acquireModel, resolveModelUrl } from './model-cache.js';
import type { ModelLease } from './model-cache.js';

/** What an element was given. `null` and `undefined` both mean "not set". */
export interface EvidenceInputs {
  readonly modelSrc?: string | null;
  readonly model?: BagNet | null;
  readonly src?: string | null;
  readonly image?: BagNetImageInput | null;
  readonly evidence?: EvidenceMap | null;
}

/**
 * Where the loader stands: `empty` (not enough inputs), `loading` (model or image), `running`
 * (the model evaluates the image), `ready`, `error`.
 */
export type LoadStatus = 'empty' | 'loading' | 'running' | 'ready' | 'error';

/** The loader's state. While a new run is on its way, the previous result stays visible. */
export interface LoadState {
  readonly status: LoadStatus;
  readonly model?: BagNet;
  readonly image?: BagNetImageInput;
  readonly evidence?: EvidenceMap;
  readonly error?: ElementErrorDetail;
}

const KEYS = ['modelSrc', 'model', 'src', 'image', 'evidence'] as const;

/** Whether the inputs name anything to load or show. */
export function hasInputs(inputs: EvidenceInputs): boolean {
  return KEYS.some((k) => inputs[k] !== undefined && inputs[k] !== null && inputs[k] !== '');
}

function sameInputs(a: EvidenceInputs, b: EvidenceInputs): boolean {
  return KEYS.every((k) => (a[k] ?? undefined) === (b[k] ?? undefined));
}

export class EvidenceLoader implements ReactiveController {
  #state: LoadState = { status: 'empty' };
  #inputs: EvidenceInputs = {};
  #connected = false;
  #run?: AbortController;
  #modelLease?: ModelLease;
  #evidenceLease?: EvidenceLease;
  #unobserveGpu?: () => void;
  readonly #host: ReactiveControllerHost;
  readonly #getInputs: () => EvidenceInputs;
  readonly #onState: (state: LoadState, previous: LoadState) => void;

  /**
   * @param getInputs read on every host update; a change (by identity) starts a new run
   * @param onState called after every state change (the host is asked to update as well)
   */
  constructor(
    host: ReactiveControllerHost,
    getInputs: () => EvidenceInputs,
    onState: (state: LoadState, previous: LoadState) => void = () => undefined,
  ) {
    this.#host = host;
    this.#getInputs = getInputs;
    this.#onState = onState;
    host.addController(this);
  }

  get state(): LoadState {
    return this.#state;
  }

  hostConnected(): void {
    this.#connected = true;
    this.#unobserveGpu ??= observeGpuContext({
      lost: () => this.#onContextLost(),
      restored: (error) => this.#onContextRestored(error),
    });
    this.#host.requestUpdate();
  }

  hostUpdate(): void {
    if (!this.#connected) return;
    const next = this.#getInputs();
    if (sameInputs(next, this.#inputs)) return;
    this.#inputs = { ...next };
    this.#start(this.#inputs);
  }

  hostDisconnected(): void {
    this.#connected = false;
    queueMicrotask(() => {
      if (this.#connected) return;
      this.releaseAll();
      this.#unobserveGpu?.();
      this.#unobserveGpu = undefined;
    });
  }

  /**
   * The GPU context is gone: the run in progress will never finish and the model's weights are
   * garbage. Stop waiting; keep showing the last evidence (plain numbers, still valid) with a
   * recoverable error. Precomputed evidence needs no GPU and is left alone.
   */
  #onContextLost(): void {
    if (!hasInputs(this.#inputs) || this.#inputs.evidence) return;
    this.#run?.abort();
    this.#run = undefined;
    const { evidence, image } = this.#state;
    this.#set({
      status: 'error',
      error: elementError(
        'context-lost',
        new BagNetBackendError(
          'The GPU (WebGL) context was lost' +
            (evidence ? ', so this evidence is from before' : '') +
            '. The model runs again as soon as the browser restores the context.',
        ),
      ),
      ...(evidence && { evidence }),
      ...(image && { image }),
    });
  }

  /**
   * The context is back and the webgl backend new (cached models were disposed): load the model
   * again and recompute. A model the page passed in (`.model`) lost its weights too; only the page
   * can load it again.
   */
  #onContextRestored(error: Error | undefined): void {
    if (!hasInputs(this.#inputs) || this.#inputs.evidence) return;
    const { evidence, image } = this.#state;
    const keep = { ...(evidence && { evidence }), ...(image && { image }) };
    if (error !== undefined || this.#inputs.model) {
      const message =
        error !== undefined
          ? `The GPU (WebGL) context was restored, but tfjs could not start on it again: ${error.message}`
          : "The GPU (WebGL) context was restored, but the model's weights were lost with it: set .model to the model loaded again.";
      this.#set({ status: 'error', error: elementError('context-lost', new BagNetBackendError(message)), ...keep });
      return;
    }
    this.#modelLease?.release(); // its model was disposed with the context
    this.#modelLease = undefined;
    this.#inputs = {}; // the next host update starts over with the same inputs
    this.#set({ status: 'loading', ...keep });
  }

  /** Cancels any run and releases every lease (the host shows nothing until its next update). */
  releaseAll(): void {
    this.#run?.abort();
    this.#run = undefined;
    this.#modelLease?.release();
    this.#modelLease = undefined;
    this.#evidenceLease?.release();
    this.#evidenceLease = undefined;
    this.#inputs = {};
    this.#set({ status: 'empty' });
  }

  #set(state: LoadState): void {
    const previous = this.#state;
    this.#state = state;
    this.#host.requestUpdate();
    this.#onState(state, previous);
  }

  #start(inputs: EvidenceInputs): void {
    this.#run?.abort();
    watchGpuContext(); // the backend may have been chosen (or reset) since the element connected
    const run = new AbortController();
    this.#run = run;
    const precomputed = inputs.evidence ?? undefined;
    const source = inputs.image ?? (inputs.src || undefined);
    const modelSrc = inputs.modelSrc || undefined;
    // Swap the model lease now (acquire before release, so an unchanged URL keeps its model).
    if (precomputed === undefined && !inputs.model && modelSrc !== undefined) {
      const url = resolveModelUrl(modelSrc);
      if (this.#modelLease?.url !== url) {
        const old = this.#modelLease;
        this.#modelLease = acquireModel(url);
        old?.release();
      }
    } else {
      this.#modelLease?.release();
      this.#modelLease = undefined;
    }
    if (precomputed !== undefined || source === undefined) {
      this.#evidenceLease?.release();
      this.#evidenceLease = undefined;
    }
    // Continue after the current host update: state changes made during an update would not
    // schedule another one.
    void Promise.resolve().then(() => this.#continue(inputs, precomputed, source, run.signal));
  }

  async #continue(
    inputs: EvidenceInputs,
    precomputed: EvidenceMap | undefined,
    source: string | BagNetImageInput | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    if (signal.aborted) return;
    let stage: ElementErrorCode = 'model';
    const model = inputs.model ?? undefined;
    try {
      if (precomputed !== undefined) {
        let image: BagNetImageInput | undefined = inputs.image ?? undefined;
        if (image === undefined && typeof source === 'string') {
          stage = 'image';
          this.#set({ ...this.#state, status: 'loading', error: undefined });
          image = await loadImage(source, signal);
        }
        this.#set({ status: 'ready', evidence: precomputed, ...(image && { image }), ...(model && { model }) });
        return;
      }
      if (!hasInputs(inputs)) {
        this.#set({ status: 'empty' });
        return;
      }
      let net = model;
      if (net === undefined && this.#modelLease !== undefined) {
        this.#set({ ...this.#state, status: 'loading', error: undefined });
        net = await raceAbort(this.#modelLease.model, signal, 'Loading the model');
      }
      if (net === undefined || source === undefined) {
        this.#set({ status: 'empty', ...(net && { model: net }) });
        return;
      }
      if (signal.aborted) return;
      if (gpuContextLost()) {
        this.#onContextLost(); // wait for the context; starting a run now would never finish
        return;
      }
      stage = 'evidence';
      const old = this.#evidenceLease;
      this.#evidenceLease = acquireEvidence(net, source);
      old?.release();
      this.#set({ ...this.#state, status: 'running', model: net, error: undefined });
      const { image, evidence } = await raceAbort(this.#evidenceLease.result, signal, 'Computing the evidence');
      this.#set({ status: 'ready', model: net, image, evidence });
    } catch (e) {
      if (signal.aborted || isAbort(e)) return;
      let code = stage;
      let error = e;
      if (e instanceof ImageLoadError) {
        code = 'image';
        error = e.error;
      } else if (stage === 'evidence' && e instanceof BagNetInputError) code = 'image';
      // A failure is not cached: release its lease so that the next run tries again.
      if (code === 'model') {
        this.#modelLease?.release();
        this.#modelLease = undefined;
      } else {
        this.#evidenceLease?.release();
        this.#evidenceLease = undefined;
      }
      this.#set({ status: 'error', error: elementError(code, error), ...(model && { model }) });
    }
  }
}
