/**
 * The backend picker: starts tfjs on the best backend this browser has, lets the user switch
 * (WebGPU, WebGL, WASM, CPU), and shows the active backend with the time of the last forward pass.
 * Models keep working across a switch: tfjs moves their weights to the new backend on first use.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, pickBestBackend, useBackend } from '@bagnet-vis/core';
import type { BackendName, BagNet, BagNetImageInput, EvidenceMap } from '@bagnet-vis/core';

import { formatDuration } from './format.js';
import { errorMessage, showError } from './messages.js';

/** Where the tfjs WASM binaries are served (scripts/serve-demo.ts). */
const WASM_PATHS = '/wasm/';

const NAMES: Record<BackendName, string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WASM', cpu: 'CPU' };

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

  constructor(select: HTMLSelectElement, status: HTMLOutputElement, error: HTMLElement) {
    this.#select = select;
    this.#status = status;
    this.#error = error;
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

  /** Starts tfjs on the first backend that works here (WebGPU, WebGL, WASM, CPU). */
  async start(): Promise<BackendName> {
    const choice = await pickBestBackend(BACKENDS, { wasmPaths: WASM_PATHS });
    this.#active = choice.backend;
    this.#select.value = choice.backend;
    this.#select.disabled = false;
    const skipped = choice.skipped.map((s) => NAMES[s.backend]).join(', ');
    this.#select.title = skipped ? `Not available here: ${skipped}` : '';
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
