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
      `The ${name} backend is not available in this environment${name === 'webgpu' ? ' (no WebGPU adapter)' : name === 'webgl' ? ' (no WebGL context)' : ''}.`,
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
