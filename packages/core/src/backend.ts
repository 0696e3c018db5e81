/**
 * Backend selection. Backends are optional peer dependencies loaded on demand, so an app only
 * ships the ones it uses: `@tensorflow/tfjs-backend-{webgpu,webgl,wasm,cpu}`.
 */
import * as tf from '@tensorflow/tfjs-core';

import { BagNetBackendError } from './errors.js';

/** The backends BagNets run on. */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** All backend names, best first (the default order of {@link pickBestBackend}). */
export const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** Options for backend initialisation. */
export interface BackendOptions {
  /**
   * Where the tfjs WASM binaries are served (prefix ending in `/`), passed to the wasm backend's
   * `setWasmPaths`. In Node they are found automatically.
   */
  wasmPaths?: string;
}

/** Why a backend may be unavailable, for the message. */
const BACKEND_HINTS: Partial<Record<BackendName, string>> = {
  webgpu: ' (no WebGPU adapter)',
  webgl: ' (no WebGL context)',
  // A Content-Security-Policy blocks WebAssembly unless its script-src allows 'wasm-unsafe-eval'.
  wasm: " (WebAssembly could not start; under a Content-Security-Policy, script-src needs 'wasm-unsafe-eval')",
};

async function register(name: BackendName, options: BackendOptions): Promise<void> {
  if (tf.findBackendFactory(name) !== null) return;
  try {
    switch (name) {
      case 'cpu':
        await import('@tensorflow/tfjs-backend-cpu');
        break;
      case 'webgl':
        await import('@tensorflow/tfjs-backend-webgl');
        break;
      case 'webgpu':
        await import('@tensorflow/tfjs-backend-webgpu');
        break;
      case 'wasm': {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        if (options.wasmPaths !== undefined) wasm.setWasmPaths(options.wasmPaths);
        break;
      }
    }
  } catch (e) {
    throw new BagNetBackendError(
      `The ${name} backend is not installed: npm install @tensorflow/tfjs-backend-${name} (${e instanceof Error ? e.message : String(e)}).`,
      { cause: e },
    );
  }
}

/**
 * Switches tfjs to `name`, loading its package if needed, and waits until it is ready.
 * Throws {@link BagNetBackendError} for an unknown name or a backend that cannot start here.
 */
export async function useBackend(name: BackendName, options: BackendOptions = {}): Promise<BackendName> {
  if (!BACKENDS.includes(name)) {
    throw new BagNetBackendError(`Unknown backend ${JSON.stringify(name)}: use one of ${BACKENDS.join(', ')}.`);
  }
  await register(name, options);
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    if (ok) await tf.ready();
  } catch (e) {
    throw new BagNetBackendError(
      `The ${name} backend failed to start: ${e instanceof Error ? e.message : String(e)}.`,
      { cause: e },
    );
  }
  if (!ok || tf.getBackend() !== name) {
    throw new BagNetBackendError(
      `The ${name} backend is not available in this environment${BACKEND_HINTS[name] ?? ''}.`,
    );
  }
  return name;
}

/** The result of {@link pickBestBackend}. */
export interface BackendChoice {
  /** The backend now active. */
  readonly backend: BackendName;
  /** The backends tried before it and why each failed. */
  readonly skipped: readonly { readonly backend: BackendName; readonly reason: string }[];
}

/**
 * Activates the first backend of `prefer` (default: webgpu, webgl, wasm, cpu) that works here and
 * reports which one it chose and why the others were skipped.
 */
export async function pickBestBackend(
  prefer: readonly BackendName[] = BACKENDS,
  options: BackendOptions = {},
): Promise<BackendChoice> {
  const skipped: { backend: BackendName; reason: string }[] = [];
  for (const name of prefer) {
    try {
      return { backend: await useBackend(name, options), skipped };
    } catch (e) {
      if (e instanceof BagNetBackendError && !BACKENDS.includes(name)) throw e;
      skipped.push({ backend: name, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  throw new BagNetBackendError(
    `No usable tfjs backend among ${prefer.join(', ')}: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join(' | ')}`,
  );
}

/** Callbacks of {@link watchWebGLContext}. */
export interface WebGLContextListener {
  /** The GPU context was lost: running work will not finish and every webgl tensor is invalid. */
  readonly lost?: () => void;
  /** The browser restored the context: call {@link resetWebGLBackend}, then reload models. */
  readonly restored?: () => void;
}

/** The WebGL context of the active tfjs webgl backend, if tfjs runs on webgl. */
function activeWebGLContext(): WebGLRenderingContext | WebGL2RenderingContext | undefined {
  if (tf.getBackend() !== 'webgl') return undefined;
  return (tf.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext | WebGL2RenderingContext } }).gpgpu?.gl;
}

/**
 * Calls `listener` when the WebGL context of tfjs's active webgl backend is lost or restored (a GPU
 * reset, a driver update, too many contexts, `WEBGL_lose_context`). Returns a function that stops
 * watching; does nothing when tfjs is not on webgl. After a {@link resetWebGLBackend} the backend has
 * a new context: watch again.
 */
export function watchWebGLContext(listener: WebGLContextListener): () => void {
  const canvas = activeWebGLContext()?.canvas;
  if (canvas === undefined) return () => undefined;
  const lost = () => listener.lost?.();
  const restored = () => listener.restored?.();
  canvas.addEventListener('webglcontextlost', lost);
  canvas.addEventListener('webglcontextrestored', restored);
  return () => {
    canvas.removeEventListener('webglcontextlost', lost);
    canvas.removeEventListener('webglcontextrestored', restored);
  };
}

/** Whether tfjs runs on webgl and its context is lost now. */
export function isWebGLContextLost(): boolean {
  return activeWebGLContext()?.isContextLost() === true;
}

/**
 * Replaces tfjs's webgl backend with a fresh one (a new context, programs and textures) and makes it
 * active if webgl was. tfjs cannot carry on after a lost context, even once it is restored: its
 * programs and textures belonged to the old one. Every tensor of the old backend is garbage —
 * dispose them (and the models holding them) before, and load the models again after.
 */
export async function resetWebGLBackend(): Promise<void> {
  const factory = tf.findBackendFactory('webgl');
  if (factory === null) {
    throw new BagNetBackendError('The webgl backend is not registered: there is nothing to reset.');
  }
  const active = tf.getBackend() === 'webgl';
  tf.removeBackend('webgl');
  tf.registerBackend('webgl', factory, 2); // the priority @tensorflow/tfjs-backend-webgl registers with
  if (active) await useBackend('webgl');
}
