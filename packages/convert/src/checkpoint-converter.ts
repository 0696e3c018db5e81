/**
 * Checkpoint conversion off the main thread: a page hands a File, Blob or bytes to a module Web
 * Worker (convert.worker.js) that reads, checks and folds the checkpoint and transfers the float32
 * weights back. The page's main thread only posts a message and, afterwards, builds the tfjs model
 * (`bagnetFromConverted`).
 */
import { BagNetAbortError, raceAbort } from '@bagnet-vis/core';

import type { ConvertedCheckpoint } from './convert-weights.js';
import { BagNetConvertError } from './errors.js';
import { deserializeError } from './worker-protocol.js';
import type {
  ConvertRequest,
  ConvertResponse,
  WorkerConvertOptions,
  WorkerConvertProgress,
} from './worker-protocol.js';

/** Options of {@link CheckpointConverter.convert} and {@link convertInWorker}. */
export interface WorkerConvertCallOptions extends WorkerConvertOptions {
  /**
   * Cancels the conversion: the worker is terminated at once (even in the middle of reading) and
   * the promise rejects with a `BagNetAbortError` (`name` `'AbortError'`). The converter starts a
   * fresh worker for its next conversion.
   */
  readonly signal?: AbortSignal;
  /** Progress in bytes, tensors and weights, with the overall `fraction` (0 → 1). */
  readonly onProgress?: (progress: WorkerConvertProgress) => void;
  /**
   * For a `Uint8Array` or `ArrayBuffer` input: move its buffer to the worker instead of copying it
   * (the caller's array is detached afterwards: length 0). Default false. A Blob or File is never
   * copied on the main thread: the worker reads it.
   */
  readonly transfer?: boolean;
}

/** Options of the {@link CheckpointConverter} constructor. */
export interface CheckpointConverterOptions {
  /**
   * URL of the worker script. Default: `convert.worker.js` next to this module
   * (`new URL('./convert.worker.js', import.meta.url)`), which bundlers that follow
   * `new Worker(new URL(…, import.meta.url))` (Vite, webpack 5, Parcel) and the CDN build resolve.
   * Give it when a bundler does not (esbuild: add `convert.worker.js` as an entry point).
   */
  readonly workerUrl?: string | URL;
}

interface Pending {
  readonly id: number;
  readonly resolve: (result: ConvertedCheckpoint) => void;
  readonly reject: (error: unknown) => void;
  readonly onProgress: ((progress: WorkerConvertProgress) => void) | undefined;
}

/**
 * Converts PyTorch BagNet checkpoints in a module Web Worker. Conversions run one at a time in
 * the order they were asked for; the worker starts on the first and stays until `dispose()`.
 * Results and errors are those of `convertCheckpointWeights` on the main thread: the same
 * `ConvertedCheckpoint`, the same typed errors (`CheckpointFormatError`, `UnsafePickleError`, …)
 * with the same messages. After an error or a cancel, the same converter converts the next file.
 *
 * ```ts
 * const converter = new CheckpointConverter();
 * const converted = await converter.convert(file, { fileName: file.name, signal, onProgress });
 * const model = bagnetFromConverted(converted); // builds the tfjs model on this thread
 * ```
 */
export class CheckpointConverter {
  readonly #workerUrl: string | URL | undefined;
  #worker: Worker | undefined;
  #pending: Pending | undefined;
  #nextId = 1;
  #queue: Promise<unknown> = Promise.resolve();
  #disposed = false;

  constructor(options: CheckpointConverterOptions = {}) {
    this.#workerUrl = options.workerUrl;
  }

  /**
   * The converted checkpoint in `input` (a File, Blob, Uint8Array or ArrayBuffer).
   *
   * @throws the errors of `convertCheckpoint` (`CheckpointFormatError`, `CheckpointBudgetError`,
   *   `UnsafePickleError`, `CheckpointArchitectureError`, `ConvertOptionsError`);
   *   `BagNetAbortError` when `signal` aborts; `BagNetConvertError` when the worker cannot start
   *   or dies (e.g. the script URL is wrong), or the converter was disposed.
   */
  async convert(
    input: Blob | Uint8Array | ArrayBuffer,
    options: WorkerConvertCallOptions = {},
  ): Promise<ConvertedCheckpoint> {
    const run = this.#queue.then(() => this.#run(input, options));
    this.#queue = run.catch(() => undefined);
    // A conversion still waiting for its turn rejects at once when aborted too.
    return await raceAbort(run, options.signal, whatOf(options));
  }

  /** Terminates the worker; conversions in progress or waiting reject. */
  dispose(): void {
    this.#disposed = true;
    this.#stop(new BagNetConvertError('The CheckpointConverter was disposed; create a new one to convert.'));
  }

  #run(input: Blob | Uint8Array | ArrayBuffer, options: WorkerConvertCallOptions): Promise<ConvertedCheckpoint> {
    const { signal, onProgress, transfer = false, ...workerOptions } = options;
    const what = whatOf(options);
    if (this.#disposed) {
      return Promise.reject(
        new BagNetConvertError('The CheckpointConverter was disposed; create a new one to convert.'),
      );
    }
    if (signal?.aborted) return Promise.reject(new BagNetAbortError(`${what} was aborted.`, { cause: signal.reason }));
    let worker: Worker;
    try {
      worker = this.#ensureWorker();
    } catch (e) {
      return Promise.reject(
        new BagNetConvertError(
          `Could not start the checkpoint conversion worker: ${e instanceof Error ? e.message : String(e)}`,
          { cause: e },
        ),
      );
    }
    let payload: Blob | Uint8Array;
    const transferList: Transferable[] = [];
    if (input instanceof Blob) payload = input;
    else {
      const view = input instanceof Uint8Array ? input : new Uint8Array(input);
      if (transfer && view.buffer instanceof ArrayBuffer) {
        payload = view;
        transferList.push(view.buffer);
      } else {
        payload = view.slice(); // a copy of exactly these bytes; the clone then moves it
        transferList.push(payload.buffer);
      }
    }
    const id = this.#nextId++;
    return new Promise<ConvertedCheckpoint>((resolve, reject) => {
      const onAbort = () => {
        // Terminating is the only way to stop synchronous reading mid-file.
        this.#stop(new BagNetAbortError(`${what} was aborted.`, { cause: signal?.reason }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending = {
        id,
        onProgress,
        resolve: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const request: ConvertRequest = { type: 'convert', id, input: payload, options: workerOptions };
      try {
        worker.postMessage(request, transferList);
      } catch (e) {
        // An option that cannot be cloned (a function in labels, …): nothing was sent.
        this.#pending = undefined;
        signal?.removeEventListener('abort', onAbort);
        reject(e);
      }
    });
  }

  #ensureWorker(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker =
      this.#workerUrl !== undefined
        ? new Worker(this.#workerUrl, { type: 'module', name: 'bagnet-convert' })
        : new Worker(new URL('./convert.worker.js', import.meta.url), { type: 'module', name: 'bagnet-convert' });
    worker.addEventListener('message', (event: MessageEvent<ConvertResponse>) => this.#onMessage(event.data));
    worker.addEventListener('error', (event: ErrorEvent) => {
      event.preventDefault();
      this.#stop(
        new BagNetConvertError(
          `The checkpoint conversion worker failed${event.message ? `: ${event.message}` : ' to load its script'}. ` +
            'Check that convert.worker.js is served next to @bagnet-vis/convert (or pass workerUrl).',
        ),
      );
    });
    worker.addEventListener('messageerror', () => {
      this.#stop(new BagNetConvertError('The checkpoint conversion worker sent a message that could not be read.'));
    });
    this.#worker = worker;
    return worker;
  }

  #onMessage(message: ConvertResponse): void {
    const pending = this.#pending;
    if (pending === undefined || message.id !== pending.id) return; // from a cancelled conversion
    if (message.type === 'progress') {
      pending.onProgress?.(message.progress);
      return;
    }
    this.#pending = undefined;
    if (message.type === 'done') pending.resolve(message.result);
    else pending.reject(deserializeError(message.error));
  }

  /** Terminates the worker (a fresh one starts on the next conversion) and rejects the pending one. */
  #stop(error: Error): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(error);
  }
}

/** How messages name a conversion: as `convertCheckpoint` does. */
function whatOf(options: WorkerConvertCallOptions): string {
  return `convertCheckpoint(${JSON.stringify(options.fileName ?? 'checkpoint')})`;
}

/**
 * Converts one checkpoint in a module Web Worker that is terminated afterwards: a one-off
 * {@link CheckpointConverter}. For several files, keep one converter.
 */
export async function convertInWorker(
  input: Blob | Uint8Array | ArrayBuffer,
  options: WorkerConvertCallOptions & CheckpointConverterOptions = {},
): Promise<ConvertedCheckpoint> {
  const { workerUrl, ...rest } = options;
  const converter = new CheckpointConverter(workerUrl === undefined ? {} : { workerUrl });
  try {
    return await converter.convert(input, rest);
  } finally {
    converter.dispose();
  }
}
