/**
 * `npm start`'s server makes the demo cross-origin isolated (COOP same-origin, COEP require-corp on
 * every response), so tfjs's WASM backend runs its threaded SIMD binary on
 * navigator.hardwareConcurrency threads; and the backend picker says which backend core chose and
 * why. Headless Chromium with WebGL and WebGPU on SwiftShader, as on a machine without a GPU.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import puppeteer from 'puppeteer-core';
import type { Browser, Page } from 'puppeteer-core';

import { CHROMIUM_FLAGS, chromiumPath, SWIFTSHADER_FLAGS } from '../../scripts/chromium.mjs';
import { CROSS_ORIGIN_ISOLATION_HEADERS } from '../../scripts/isolation.mjs';
import { startDemoServer } from '../../scripts/serve-demo.js';
import type { DemoServer } from '../../scripts/serve-demo.js';

describe('cross-origin isolation and WASM threads (npm start)', { timeout: 120_000 }, () => {
  let server: DemoServer;
  let browser: Browser;
  let page: Page;
  let profile: string;
  const errors: string[] = [];

  before(async () => {
    server = await startDemoServer(0);
    profile = mkdtempSync(join(tmpdir(), 'bagnet-isolation-'));
    browser = await puppeteer.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: [...CHROMIUM_FLAGS, ...SWIFTSHADER_FLAGS, `--user-data-dir=${profile}`],
    });
    page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(`pageerror: ${String(e)}`));
    page.on('console', (m) => m.type() === 'error' && errors.push(`console.error: ${m.text()}`));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('sends COOP and COEP on every response: pages, bundle, binaries, models, errors, redirects', async () => {
    const paths = [
      '/',
      '/styles.css',
      '/app/main.js',
      '/wasm/tfjs-backend-wasm-threaded-simd.wasm',
      '/default/model.json',
      '/no-such-file',
    ];
    for (const path of paths) {
      const res = await fetch(new URL(path, server.url), { redirect: 'manual' });
      await res.arrayBuffer();
      for (const [name, value] of Object.entries(CROSS_ORIGIN_ISOLATION_HEADERS)) {
        assert.equal(res.headers.get(name), value, `${name} on ${path} (HTTP ${res.status})`);
      }
    }
    const redirect = await fetch(new URL('/docs', server.url), { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('cross-origin-embedder-policy'), 'require-corp');
    assert.deepEqual(CROSS_ORIGIN_ISOLATION_HEADERS, {
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    });
  });

  it('the page is cross-origin isolated, WASM runs on hardwareConcurrency threads, and the picker says why', async () => {
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready]', { timeout: 90_000 });
    assert.equal(await page.$eval('body', (b) => (b as HTMLElement).dataset['ready']), 'true', errors.join('\n'));
    const state = await page.evaluate(() => ({
      isolated: crossOriginIsolated,
      cores: navigator.hardwareConcurrency,
      backend: document.querySelector<HTMLElement>('#backend-status')!.dataset['backend'],
      why: document.querySelector('#backend-why')!.textContent ?? '',
      whyHidden: document.querySelector<HTMLElement>('#backend-why')!.hidden,
      webglTitle: document.querySelector<HTMLOptionElement>('#backend-select option[value="webgl"]')!.title,
    }));
    assert.equal(state.isolated, true);
    assert.equal(state.backend, 'wasm');
    assert.equal(state.whyHidden, false);
    // tfjs-wasm pre-creates 8 workers and never uses more threads.
    const expected = Math.min(state.cores, 8);
    const threads = expected === 1 ? '1 thread' : `${expected} threads`;
    assert.equal(
      state.why,
      `WebGPU and WebGL run on a software renderer here (SwiftShader); using WASM. WASM computes on ${threads} (this page is cross-origin isolated).`,
    );
    assert.match(state.webglTitle, /^WebGL runs on SwiftShader, a software renderer; not probed/);
    assert.deepEqual(errors, []);
  });
});
