import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs-core';

import { BagNetBackendError, pickBestBackend, useBackend } from '@bagnet-vis/core';
import type { BackendName } from '@bagnet-vis/core';

describe('backends in Node', () => {
  it('switches between cpu and wasm', async () => {
    assert.equal(await useBackend('wasm'), 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.equal(await useBackend('cpu'), 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
  });

  it('picks the best available backend and says why it skipped the others', async () => {
    const choice = await pickBestBackend();
    assert.equal(choice.backend, 'wasm');
    assert.deepEqual(
      choice.skipped.map((s) => s.backend),
      ['webgpu', 'webgl'],
    );
    for (const s of choice.skipped) assert.match(s.reason, /not available in this environment|failed to start/);
    await useBackend('cpu');
  });

  it('rejects unknown backends with a typed error naming the valid ones', async () => {
    await assert.rejects(
      useBackend('tpu' as BackendName),
      (e) =>
        e instanceof BagNetBackendError && e.message === 'Unknown backend "tpu": use one of webgpu, webgl, wasm, cpu.',
    );
    await assert.rejects(
      pickBestBackend(['webgl']),
      (e) => e instanceof BagNetBackendError && /No usable tfjs backend among webgl/.test(e.message),
    );
  });
});
