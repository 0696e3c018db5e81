/**
 * WebGL context loss, for the elements. When the browser takes tfjs's WebGL context away (a GPU
 * reset, a driver update, too many contexts, `WEBGL_lose_context`), running model evaluations never
 * finish and every weight on the GPU is gone; tfjs itself cannot continue, even after the context is
 * restored. Observers (the evidence loaders) hear `lost` — they stop waiting and show a recoverable
 * state — and, once the browser restores the context, `restored`: by then the cached models are
 * disposed and a fresh webgl backend is active, so they load their models again and recompute.
 */
import * as tf from '@tensorflow/tfjs-core';
import { resetWebGLBackend, watchWebGLContext } from '@bagnet-vis/core';

import { invalidateModels } from './model-cache.js';

/** What an element does when the GPU context goes and comes back. */
export interface GpuContextObserver {
  lost(): void;
  /** `error`: the webgl backend could not be restarted. */
  restored(error?: Error): void;
}

const observers = new Set<GpuContextObserver>();
let watched: { readonly backend: unknown; readonly stop: () => void } | undefined;
let lost = false;

/**
 * Watches the context of tfjs's active webgl backend, if that is the backend now (called before
 * every model run, so a backend chosen or reset later is picked up). Cheap when already watching.
 */
export function watchGpuContext(): void {
  if (observers.size === 0 || tf.getBackend() !== 'webgl') return;
  let backend: unknown;
  try {
    backend = tf.backend();
  } catch {
    return; // still initialising: the next run watches it
  }
  if (watched?.backend === backend) return;
  watched?.stop();
  watched = { backend, stop: watchWebGLContext({ lost: onLost, restored: () => void onRestored() }) };
}

/** Registers `observer`; returns the function that removes it. */
export function observeGpuContext(observer: GpuContextObserver): () => void {
  observers.add(observer);
  watchGpuContext();
  return () => {
    observers.delete(observer);
    if (observers.size === 0) {
      watched?.stop();
      watched = undefined;
    }
  };
}

/** Whether the context is lost now (and not yet restored). */
export function gpuContextLost(): boolean {
  return lost;
}

function onLost(): void {
  if (lost) return;
  lost = true;
  for (const o of [...observers]) o.lost();
}

async function onRestored(): Promise<void> {
  if (!lost) return;
  let error: Error | undefined;
  try {
    // Dispose the dead weights while their backend still exists, then start a new one.
    invalidateModels();
    watched?.stop();
    watched = undefined;
    await resetWebGLBackend();
  } catch (e) {
    error = e instanceof Error ? e : new Error(String(e));
  }
  lost = false;
  watchGpuContext();
  for (const o of [...observers]) o.restored(error);
}
