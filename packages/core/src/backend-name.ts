/**
 * The names of the tfjs backends BagNets run on: what backend selection (backend.ts) chooses from
 * and its probe (backend-probe.ts) reports on.
 */

/** The backends BagNets run on. */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** All backend names, GPU first (the default candidates of `pickBestBackend`, in order). */
export const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** Human names of the backends, for messages. */
export const BACKEND_NAMES: Readonly<Record<BackendName, string>> = {
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  wasm: 'WASM',
  cpu: 'CPU',
};
