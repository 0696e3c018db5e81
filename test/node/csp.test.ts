/**
 * The elements under a strict Content-Security-Policy, in headless Chromium: the soak page
 * (test/soak/) served with a policy that allows no eval, no inline script and no inline style.
 * On the cpu, webgl and webgpu backends the explainer computes and lays out its views (positions
 * set through the CSSOM, which the policy allows) without a single violation of its own (a
 * cancelled dense run included, on cpu and wasm); the wasm backend needs `'wasm-unsafe-eval'`
 * (WebAssembly compilation, not JS eval) and says so when it is missing. Labels from the model are shown as text under the policy too.
 *
 * One violation happens before any of our code runs: `long` (a tfjs-core dependency) probes for
 * WebAssembly when it is imported, inside a try/catch, and falls back to JavaScript. It is the only
 * one allowed, and only at load.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { SoakApi } from '../soak/api.js';
import { HOSTILE_LABELS, launchChromium, openPage, startPageServer } from '../soak/harness.js';
import type { PageServer } from '../soak/harness.js';

type Win = Window & { soak: SoakApi };

const STRICT = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
const WITH_WASM = STRICT.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'");
/** The violation `long` reports at import (see above). */
const AT_LOAD = /^script-src(-elem)? blocked wasm-eval /;

let strict: PageServer;
let withWasm: PageServer;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
before(async () => {
  [strict, withWasm] = await Promise.all([startPageServer({ csp: STRICT }), startPageServer({ csp: WITH_WASM })]);
  chromium = await launchChromium();
});
after(async () => {
  await chromium?.close();
  await strict?.close();
  await withWasm?.close();
});

/**
 * Loads the page, shows the explainer on `backend`, switches classes and swaps images, and with
 * `dense` also starts and cancels a dense heatmap run on a bigger image. The GPU backends skip the
 * dense run: the elements' part of it (painting, cancelling) is the same code on every backend and
 * runs on cpu and wasm here, and on WebGPU under SwiftShader compiling its new shader shapes alone
 * took 29 s of the case's 41 s (WebGL: 5 of 15 s).
 */
async function exercise(server: PageServer, backend: string, dense: boolean) {
  const p = await openPage(chromium.browser, server.url);
  const atLoad = await p.page.evaluate(() => (window as unknown as Win).soak.violations());
  const setup = await p.page.evaluate((b) => (window as unknown as Win).soak.setup(b, 'hostile'), backend);
  await p.page.evaluate(() => (window as unknown as Win).soak.classSwitches(4));
  await p.page.evaluate(() => (window as unknown as Win).soak.imageSwaps(2));
  if (dense) await p.page.evaluate(() => (window as unknown as Win).soak.abortedDenseRuns(1));
  const all = await p.page.evaluate(() => (window as unknown as Win).soak.violations());
  const { tensors } = await p.page.evaluate(() => (window as unknown as Win).soak.memory());
  const layout = await p.page.evaluate(() => (window as unknown as Win).soak.layout());
  const texts = await p.page.evaluate(() => (window as unknown as Win).soak.texts());
  const injected = await p.page.evaluate(() => (window as unknown as Win).soak.injected());
  await p.page.close();
  return { setup, tensors, atLoad, later: all.slice(atLoad.length), layout, texts, injected, problems: p.problems };
}

describe('elements under a strict Content-Security-Policy', () => {
  test('the page is served with the policy; the bundle has no eval or Function constructor', async () => {
    const r = await fetch(strict.url);
    assert.equal(r.headers.get('content-security-policy'), STRICT);
    assert.doesNotMatch(strict.bundle, /\beval\(|new Function\(|[^.\w]Function\(/);
  });

  for (const backend of ['cpu', 'webgl', 'webgpu'] as const) {
    test(`${backend}: computes and lays out with no violation; labels shown as text`, async () => {
      const r = await exercise(strict, backend, backend === 'cpu');
      assert.equal(r.setup.backend, backend);
      assert.equal(r.tensors, r.setup.tensors, 'no tensor leak');
      assert.ok(r.atLoad.length <= 1 && r.atLoad.every((v) => AT_LOAD.test(v)), JSON.stringify(r.atLoad));
      assert.deepEqual(r.later, [], 'no violation while the elements work');
      assert.deepEqual(r.problems, []);
      assert.match(
        r.layout.overlay,
        /^left \d+(\.\d+)?%, width \d+(\.\d+)?%, opacity 0\.75$/,
        'overlay placed over the cells',
      );
      assert.match(r.layout.stage, /^\d+ \/ \d+$/, 'stage has the image aspect ratio');
      assert.match(r.layout.bar, /^\d+(\.\d+)?%$/, 'bars have their widths');
      for (const label of HOSTILE_LABELS) assert.ok(r.texts.includes(label), `label shown literally: ${label}`);
      assert.deepEqual(r.injected, []);
    });
  }

  test("wasm: refused with a clear message without 'wasm-unsafe-eval', works with it", async () => {
    const p = await openPage(chromium.browser, strict.url);
    const refused = await p.page.evaluate(() =>
      (window as unknown as Win).soak.setup('wasm').then(
        () => 'started',
        (e: Error) => `${e.name}: ${e.message}`,
      ),
    );
    await p.page.close();
    assert.match(
      refused,
      /^BagNetBackendError: The wasm backend is not available in this environment \(WebAssembly could not start; under a Content-Security-Policy, script-src needs 'wasm-unsafe-eval'\)\./,
    );
    const r = await exercise(withWasm, 'wasm', true);
    assert.equal(r.setup.backend, 'wasm');
    assert.equal(r.tensors, r.setup.tensors, 'no tensor leak');
    assert.deepEqual([...r.atLoad, ...r.later], [], 'no violation at all');
    assert.deepEqual(r.problems, []);
  });
});
