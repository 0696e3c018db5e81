/**
 * The backend picker: starts tfjs on the backend core's pickBestBackend measures fastest here, says
 * why (a GPU on a software renderer, the probe's numbers, WASM threads), lets the user switch
 * (WebGPU, WebGL, WASM, CPU), and shows the active backend with the time of the last forward pass.
 * Models keep working across a switch: tfjs moves their weights to the new backend on first use.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES, BACKENDS, isCrossOriginIsolated, pickBestBackend, useBackend } from '@bagnet-vis/core';
import type { BackendChoice, BackendName, BagNet, BagNetImageInput, EvidenceMap } from '@bagnet-vis/core';

import { formatDuration } from './format.js';
import { errorMessage, showError } from './messages.js';

/** Where the tfjs WASM binaries are served (scripts/serve-demo.ts). */
const WASM_PATHS = '/wasm/';

const NAMES = BACKEND_NAMES;

/** A forward pass and how long it took. */
export interface TimedEvidence {
  readonly evidence: EvidenceMap;
  readonly ms: number;
  readonly backend: BackendName;
  /** Whether this was the model's first pass at this size on this backend (setup included). */
  readonly first: boolean;
}

export class BackendPicker {
  readonly #select: HTMLSelectElement;
  readonly #status: HTMLOutputElement;
  readonly #error: HTMLElement;
  readonly #listeners: ((backend: BackendName) => void)[] = [];
  #active: BackendName = 'cpu';
  #holds = 0;
  #switching = false;
  #last = '';
  readonly #timed = new WeakMap<BagNet, Set<string>>();

  readonly #why: HTMLElement | undefined;
  #choice: BackendChoice | undefined;

  constructor(select: HTMLSelectElement, status: HTMLOutputElement, error: HTMLElement, why?: HTMLElement) {
    this.#select = select;
    this.#status = status;
    this.#error = error;
    this.#why = why;
    select.addEventListener('change', () => void this.#switch(select.value as BackendName));
  }

  /** The backend tfjs runs on now. */
  get active(): BackendName {
    return this.#active;
  }

  /** Human name of a backend: `WebGL`. */
  static nameOf(backend: BackendName): string {
    return NAMES[backend];
  }

  /** Core's backend choice at start (why, the probe's numbers, what was skipped). */
  get choice(): BackendChoice | undefined {
    return this.#choice;
  }

  /**
   * Starts tfjs on the backend core measures fastest here (software-rendered GPUs are recognised
   * and passed over; the choice is kept for the tab's session) and shows why.
   */
  async start(): Promise<BackendName> {
    const choice = await pickBestBackend(BACKENDS, { wasmPaths: WASM_PATHS });
    this.#choice = choice;
    this.#active = choice.backend;
    this.#select.value = choice.backend;
    this.#select.disabled = false;
    // Each option says why it was not chosen.
    for (const option of this.#select.options) {
      const skipped = choice.skipped.find((s) => s.backend === option.value);
      option.title = skipped ? `${NAMES[skipped.backend]} ${skipped.reason}` : choice.reason;
      option.dataset['code'] = skipped?.code ?? choice.code;
    }
    if (this.#why !== undefined) {
      const threads =
        choice.wasmThreads === undefined
          ? ''
          : ` WASM computes on ${choice.wasmThreads} thread${choice.wasmThreads === 1 ? '' : 's'}${
              isCrossOriginIsolated()
                ? ' (this page is cross-origin isolated)'
                : ' (threads need a cross-origin-isolated page)'
            }.`;
      this.#why.textContent = `${choice.reason}${threads}`;
      this.#why.dataset['code'] = choice.code;
      this.#why.hidden = false;
    }
    this.#render();
    return choice.backend;
  }

  /** Called after every successful switch (e.g. to time the new backend). */
  onSwitch(listener: (backend: BackendName) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Keeps the picker disabled until the returned function is called: switching in the middle of a
   * long computation would move its tensors between backends.
   */
  hold(): () => void {
    this.#holds++;
    this.#select.disabled = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holds--;
      if (this.#holds === 0 && !this.#switching) this.#select.disabled = false;
    };
  }

  /** Runs `model` on `image`, reports the time of the pass, and returns the evidence (caller disposes). */
  async timedEvidence(model: BagNet, image: BagNetImageInput, signal?: AbortSignal): Promise<TimedEvidence> {
    const backend = this.#active;
    const t0 = performance.now();
    const evidence = await model.evidence(image, signal ? { signal } : {});
    const ms = performance.now() - t0;
    const { geometry } = evidence;
    // The first pass of a model at a size on a backend also compiles its GPU programs or kernels.
    const key = `${backend} ${geometry.imageWidth}×${geometry.imageHeight}`;
    const seen = this.#timed.get(model) ?? new Set<string>();
    const first = !seen.has(key);
    seen.add(key);
    this.#timed.set(model, seen);
    this.#last =
      `forward pass ${formatDuration(ms)}${first ? ' (first run: includes setup)' : ''} ` +
      `· ${geometry.imageWidth}×${geometry.imageHeight} px, ${geometry.rows}×${geometry.cols} patches`;
    this.#render();
    return { evidence, ms, backend, first };
  }

  async #switch(wanted: BackendName): Promise<void> {
    if (wanted === this.#active) return;
    this.#switching = true;
    this.#select.disabled = true;
    this.#status.value = `Starting ${NAMES[wanted]}…`;
    try {
      await useBackend(wanted, { wasmPaths: WASM_PATHS });
      this.#active = wanted;
      this.#last = '';
      showError(this.#error, undefined);
    } catch (e) {
      // Back to the backend that works; tfjs may have half-started the other one.
      await useBackend(this.#active, { wasmPaths: WASM_PATHS }).catch(() => undefined);
      this.#select.value = this.#active;
      showError(this.#error, `${NAMES[wanted]}: ${errorMessage(e)}`);
    } finally {
      this.#switching = false;
      if (this.#holds === 0) this.#select.disabled = false;
      this.#render();
    }
    if (this.#active === wanted) for (const listener of this.#listeners) listener(wanted);
  }

  #render(): void {
    const active = tf.getBackend() as BackendName;
    this.#status.value = `${NAMES[active] ?? active} active${this.#last ? ` · ${this.#last}` : ''}`;
    this.#status.dataset['backend'] = active;
  }
}
