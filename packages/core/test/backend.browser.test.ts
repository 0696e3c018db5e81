/**
 * Backend choice in a real browser: headless Chromium, where WebGL and WebGPU run on SwiftShader
 * (the flags of scripts/chromium.mjs), as on a laptop without a GPU driver, a VM or a remote
 * desktop. pickBestBackend must recognise the software renderer, measure, and pick WASM; the fp16
 * guard must refuse a WebGL without float32 rendering (forced here through tfjs's flag).
 */
import { expect } from '@open-wc/testing';
import * as tf from '@tensorflow/tfjs-core';

import {
  BagNetBackendError,
  currentWebGLRenderer,
  currentWebGPURenderer,
  forgetBackendChoice,
  pickBestBackend,
  useBackend,
} from '@bagnet-vis/core';

/** The tfjs WASM binaries, served by the test runner from node_modules. */
const WASM_PATHS = '/node_modules/@tensorflow/tfjs-backend-wasm/dist/';

before(async () => {
  // A backend for tf.memory(), and the webgl package for its flags.
  await useBackend('webgl');
  await useBackend('cpu');
});

describe('pickBestBackend in Chromium on SwiftShader', () => {
  let baseline: number;
  beforeEach(() => {
    baseline = tf.memory().numTensors;
  });
  afterEach(() => {
    expect(tf.memory().numTensors, 'no tensor leak').to.equal(baseline);
  });
  after(() => forgetBackendChoice());

  it('reads the unmasked WebGL renderer and the WebGPU adapter as SwiftShader', async () => {
    const gl = currentWebGLRenderer();
    expect(gl, 'a WebGL context').to.not.equal(undefined);
    expect(gl!.renderer).to.match(/SwiftShader/);
    expect(gl!.software).to.equal(true);
    expect(gl!.softwareName).to.equal('SwiftShader');
    const gpu = await currentWebGPURenderer();
    expect(gpu, 'a WebGPU adapter').to.not.equal(undefined);
    expect(gpu!.software).to.equal(true);
    expect(gpu!.softwareName).to.equal('SwiftShader');
  });

  it('passes the software renderers over unmeasured and picks WASM, saying why', async () => {
    forgetBackendChoice();
    const choice = await pickBestBackend(undefined, { wasmPaths: WASM_PATHS });
    expect(choice.backend).to.equal('wasm');
    expect(tf.getBackend()).to.equal('wasm');
    expect(choice.code).to.equal('avoids-software-renderer');
    expect(choice.cached).to.equal(false);
    for (const gpu of ['webgpu', 'webgl'] as const) {
      const s = choice.skipped.find((x) => x.backend === gpu);
      expect(s?.code, gpu).to.equal('software-renderer');
      expect(s?.reason, gpu).to.match(/^runs on SwiftShader, a software renderer; not probed/);
    }
    expect(choice.skipped.find((s) => s.backend === 'cpu')?.code).to.equal('slower');
    expect(choice.reason).to.equal('WebGPU and WebGL run on a software renderer here (SwiftShader); using WASM.');
    expect(choice.renderers.map((r) => r.backend).sort()).to.deep.equal(['webgl', 'webgpu']);
    expect(choice.probe).to.deep.equal([]);
  });

  it('the probe measures WebGL on SwiftShader against WASM and picks WASM, within the budget', async () => {
    const choice = await pickBestBackend(['webgl', 'wasm'], {
      wasmPaths: WASM_PATHS,
      probeSoftware: true,
      fresh: true,
    });
    expect(choice.backend).to.equal('wasm');
    expect(choice.code).to.equal('fastest');
    const webgl = choice.skipped.find((s) => s.backend === 'webgl')!;
    expect(webgl.code).to.equal('software-renderer');
    expect(webgl.reason).to.match(/^runs on SwiftShader, a software renderer: [\d.]+× slower than WASM in the probe/);
    expect(choice.reason).to.match(
      /^WebGL runs on a software renderer here \(SwiftShader\); WASM is [\d.]+× faster\.$/,
    );
    const wasm = choice.probe.find((p) => p.backend === 'wasm')!;
    const gl = choice.probe.find((p) => p.backend === 'webgl')!;
    expect(wasm.runs, 'warm WASM passes').to.be.at.least(1);
    expect(gl.firstMs).to.be.greaterThan(wasm.firstMs);
    // WebGL's first pass spent the budget: no warm pass after it.
    expect(gl.runs).to.equal(0);
    expect(webgl.reason).to.match(/first passes, setup included/);
  });

  it('keeps the choice for the session: a second call re-applies it without probing', async () => {
    await useBackend('cpu');
    const t = performance.now();
    const again = await pickBestBackend(undefined, { wasmPaths: WASM_PATHS });
    expect(performance.now() - t).to.be.below(50);
    expect(again.cached).to.equal(true);
    expect(again.backend).to.equal('wasm');
    expect(tf.getBackend()).to.equal('wasm');
    // Stored for the tab too, so a reload of the page skips the probe.
    const stored = Object.keys(sessionStorage).filter((k) => k.startsWith('bagnet-vis:backend-choice:'));
    expect(
      stored.some((k) => k.includes('webgpu,webgl,wasm,cpu')),
      stored.join(),
    ).to.equal(true);
    // fresh: probe again.
    const fresh = await pickBestBackend(undefined, { wasmPaths: WASM_PATHS, fresh: true });
    expect(fresh.cached).to.equal(false);
    expect(fresh.backend).to.equal('wasm');
  });
});

describe('fp16 guard: WebGL without float32 rendering', () => {
  afterEach(() => {
    tf.env().set('WEBGL_RENDER_FLOAT32_CAPABLE', true);
    forgetBackendChoice();
  });

  it('refuses such a WebGL with a typed reason and stays on the backend it was on; fine once float32 renders', async () => {
    await useBackend('wasm', { wasmPaths: WASM_PATHS });
    tf.env().set('WEBGL_RENDER_FLOAT32_CAPABLE', false);
    let error: unknown;
    try {
      await useBackend('webgl');
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(BagNetBackendError);
    expect((error as BagNetBackendError).code).to.equal('no-float32-rendering');
    expect((error as Error).message).to.match(/cannot render to float32 textures.*WEBGL_RENDER_FLOAT32_CAPABLE.*fp16/);
    expect(tf.getBackend()).to.equal('wasm');
    // Accepting fp16 explicitly works.
    expect(await useBackend('webgl', { allowHalfPrecision: true })).to.equal('webgl');
    // The good case through the same surface: float32 rendering back, WebGL starts.
    tf.env().set('WEBGL_RENDER_FLOAT32_CAPABLE', true);
    expect(await useBackend('webgl')).to.equal('webgl');
  });

  it('pickBestBackend falls back to WASM and says why', async () => {
    tf.env().set('WEBGL_RENDER_FLOAT32_CAPABLE', false);
    const choice = await pickBestBackend(['webgl', 'wasm'], { wasmPaths: WASM_PATHS, fresh: true });
    expect(choice.backend).to.equal('wasm');
    const webgl = choice.skipped.find((s) => s.backend === 'webgl')!;
    expect(webgl.code).to.equal('no-float32-rendering');
    expect(webgl.reason).to.match(/fp16/);
    expect(choice.code).to.equal('only-usable');
    // Good input after the bad: with float32 rendering WebGL is a candidate again (and on
    // SwiftShader loses the probe).
    tf.env().set('WEBGL_RENDER_FLOAT32_CAPABLE', true);
    const again = await pickBestBackend(['webgl', 'wasm'], { wasmPaths: WASM_PATHS, fresh: true });
    expect(again.skipped.find((s) => s.backend === 'webgl')?.code).to.equal('software-renderer');
  });
});
