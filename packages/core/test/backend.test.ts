import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs-core';

import {
  BagNetBackendError,
  forgetBackendChoice,
  pickBestBackend,
  softwareRendererName,
  useBackend,
} from '@bagnet-vis/core';

import { probeActiveBackend } from '../src/backend-probe.js';
import { webgpuRenderer } from '../src/gpu-renderer.js';
import type { BackendName } from '@bagnet-vis/core';

describe('backends in Node', () => {
  it('switches between cpu and wasm', async () => {
    assert.equal(await useBackend('wasm'), 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.equal(await useBackend('cpu'), 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
  });

  it('picks WASM over CPU, says why, and keeps the choice for the session', async () => {
    forgetBackendChoice();
    const choice = await pickBestBackend();
    assert.equal(choice.backend, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.equal(choice.code, 'first-usable');
    assert.equal(choice.cached, false);
    assert.equal(choice.wasmThreads, 1); // Node: tfjs-wasm has no threads
    assert.deepEqual(
      choice.skipped.map((s) => [s.backend, s.code]),
      [
        ['webgpu', 'unavailable'],
        ['webgl', 'unavailable'],
        ['cpu', 'slower'],
      ],
    );
    for (const s of choice.skipped.slice(0, 2))
      assert.match(s.reason, /not available in this environment|failed to start/);
    assert.match(choice.reason, /^WASM runs compiled kernels; tfjs's CPU backend/);
    assert.deepEqual(choice.renderers, []);
    await useBackend('cpu');
    const again = await pickBestBackend();
    assert.equal(again.cached, true);
    assert.equal(again.backend, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    await useBackend('cpu');
  });

  it('probes the candidates when asked to compare, within its budget, leaving no tensors', async () => {
    forgetBackendChoice();
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    const t = performance.now();
    const p = await probeActiveBackend('wasm', 200);
    const elapsed = performance.now() - t;
    assert.equal(tf.memory().numTensors, before);
    assert.ok(p.runs >= 1 && p.runs <= 3, `runs ${p.runs}`);
    assert.ok(p.warmMs! > 0 && p.warmMs! <= p.firstMs * 5, `warm ${p.warmMs} first ${p.firstMs}`);
    // The budget stops the warm passes: at most one pass past it.
    assert.ok(elapsed <= 200 + p.firstMs + 2 * p.warmMs! + 20, `elapsed ${elapsed}`);
    // Only CPU against nothing: no probe, typed code.
    const cpu = await pickBestBackend(['cpu'], { fresh: true });
    assert.equal(cpu.code, 'only-usable');
    assert.equal(cpu.reason, 'CPU is the only backend that works here.');
    assert.equal(cpu.probeMs, 0);
  });

  it('recognises software renderers by their WebGL renderer / WebGPU adapter strings', () => {
    const cases: [string, string | undefined][] = [
      ['ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)', 'SwiftShader'],
      ['Google SwiftShader', 'SwiftShader'],
      ['llvmpipe (LLVM 15.0.6, 256 bits)', 'llvmpipe'],
      ['ANGLE (Mesa, llvmpipe (LLVM 15.0.6 256 bits), OpenGL 4.5)', 'llvmpipe'],
      [
        'ANGLE (Microsoft, Microsoft Basic Render Driver Direct3D11 vs_5_0 ps_5_0, D3D11)',
        'Microsoft Basic Render Driver',
      ],
      ['ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 (0x00002503) Direct3D11 vs_5_0 ps_5_0, D3D11)', undefined],
      ['Apple M2', undefined],
      ['ANGLE (Intel, Mesa Intel(R) UHD Graphics 620 (KBL GT2), OpenGL 4.6)', undefined],
    ];
    for (const [text, name] of cases) assert.equal(softwareRendererName(text), name, text);
    assert.deepEqual(webgpuRenderer({ info: { vendor: 'google', architecture: 'swiftshader' } }), {
      backend: 'webgpu',
      vendor: 'google',
      renderer: 'swiftshader',
      software: true,
      softwareName: 'SwiftShader',
    });
    assert.equal(
      webgpuRenderer({ info: { vendor: 'nvidia', architecture: 'ampere', isFallbackAdapter: true } }).softwareName,
      'a fallback adapter',
    );
    assert.equal(webgpuRenderer({ isFallbackAdapter: true, info: { vendor: 'x' } }).software, true);
    assert.equal(webgpuRenderer({ info: { vendor: 'nvidia', architecture: 'ampere' } }).software, false);
  });

  it('rejects unknown backends with a typed error naming the valid ones', async () => {
    await assert.rejects(
      useBackend('tpu' as BackendName),
      (e) =>
        e instanceof BagNetBackendError && e.message === 'Unknown backend "tpu": use one of webgpu, webgl, wasm, cpu.',
    );
    await assert.rejects(
      pickBestBackend(['webgl']),
      (e) =>
        e instanceof BagNetBackendError &&
        e.code === 'unavailable' &&
        /No usable tfjs backend among webgl/.test(e.message),
    );
    await assert.rejects(
      useBackend('wasm', { threads: 0 }),
      (e) =>
        e instanceof BagNetBackendError &&
        e.code === 'bad-option' &&
        e.message === 'threads must be a positive integer, got 0.',
    );
    // The good input through the same surface.
    assert.equal(await useBackend('cpu'), 'cpu');
  });
});
