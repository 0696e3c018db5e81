/**
 * The `--backend` and `--resize` flags that explain, mine and train share: parsed and checked
 * the same way, with the same messages, and the backend started the same way.
 */
import { BACKENDS, pickBestBackend, useBackend } from '@bagnet-vis/core';
import type { BackendName } from '@bagnet-vis/core';

import { integer } from './args.js';
import { UsageError } from './errors.js';

/** The backends that run in Node. */
export const NODE_BACKENDS: readonly BackendName[] = ['wasm', 'cpu'];

/** `--resize`: absent, `none`, or a short side in pixels from 1 to 4096. */
export function resizeFlag(value: string | undefined): number | 'none' | undefined {
  return value === undefined || value === 'none' ? value : integer(value, '--resize', 1, 4096);
}

/** `--backend`: absent (core picks) or one of {@link NODE_BACKENDS}. */
export function nodeBackendFlag(value: string | undefined): BackendName | undefined {
  const requested = value as BackendName | undefined;
  if (requested !== undefined && !NODE_BACKENDS.includes(requested)) {
    throw new UsageError(
      `--backend must be ${NODE_BACKENDS.join(' or ')} in Node, got '${requested}'${BACKENDS.includes(requested) ? ' (a browser backend)' : ''}`,
    );
  }
  return requested;
}

/**
 * Starts the requested backend, or by default WASM (much faster), falling back to the CPU
 * backend where WASM cannot start. Returns the backend that runs.
 */
export async function startNodeBackend(requested: BackendName | undefined): Promise<BackendName> {
  if (requested === undefined) return (await pickBestBackend(NODE_BACKENDS)).backend;
  await useBackend(requested);
  return requested;
}
