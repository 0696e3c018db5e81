/**
 * The CDN bundles and the HTML-only pages in demos/cdn/, as a user without a build step meets
 * them: the built files (cdn/ bundles, tfjs's own ESM and UMD builds from node_modules, the
 * default model and a sample image) served as they are by a static server, the pages opened in
 * headless Chromium. Each page must paint the heatmap, fill the gallery and the bars, and log no
 * error. Also: loading the ESM and the UMD bundle on one page does not throw (guarded
 * registration), the bundles keep tfjs external and lit inside, the elements bundle stays within
 * its size budget, and the CDN snippets in the pages name files that exist.
 *
 * Builds first (scripts/build-bundles.mjs: tsc -b of the packages, rollup when out of date).
 * Screenshot of the ES-module page: `BAGNET_SCREENSHOTS=1` writes docs/screenshots/cdn.png.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';

import type { Browser } from 'puppeteer-core';

import { buildPackages, ROOT } from '../../scripts/build-bundles.mjs';
import { launchChromium, openPage as open, waitForPaint } from '../helpers/browser-pages.js';
import { serveStatic } from '../helpers/static-server.js';
import type { StaticServer } from '../helpers/static-server.js';

// 40 kB held four elements; <patch-certificate> and d3-array's nice ticks brought it to 41.4 kB.
const ELEMENTS_BUDGET_BYTES = 43 * 1024;
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const version = (dir: string) => (JSON.parse(read(join(dir, 'package.json'))) as { version: string }).version;

/**
 * The jsDelivr URLs a page's comment tells users to paste: each must name the version this
 * repository builds (or has installed, for tfjs) and a file that exists at that path.
 */
function checkCdnUrls(html: string, atLeast = 3): string[] {
  const urls = [...html.matchAll(/https:\/\/cdn\.jsdelivr\.net\/npm\/((?:@[^/@]+\/)?[^/@]+)@([^/]+)\/([^"'\s`),]+)/g)];
  assert.ok(urls.length >= atLeast, 'the page shows a CDN snippet');
  return urls.map(([url, name, ver, path]) => {
    const dir = name!.startsWith('@bagnet-vis/')
      ? join('packages', name!.slice('@bagnet-vis/'.length))
      : join('node_modules', name!);
    assert.equal(ver, version(dir), `${url}: ${name} is at version ${version(dir)} here`);
    assert.ok(existsSync(join(ROOT, dir, path!)), `${url}: no ${path} in ${name}`);
    return url!;
  });
}

describe('CDN bundles and the HTML-only pages (demos/cdn)', () => {
  let server: StaticServer;
  let browser: Browser;
  let closeBrowser: (() => Promise<void>) | undefined;

  before(async () => {
    buildPackages();
    // The two bundles on one page: UMD by script tag, then the ESM bundle (with its own tfjs).
    const mixed = read('demos/cdn/umd.html').replace(
      '</head>',
      `<script type="importmap">${JSON.stringify({
        imports: {
          '@tensorflow/tfjs-core': '/node_modules/@tensorflow/tfjs-core/dist/tf-core.fesm.min.js',
          '@tensorflow/tfjs-layers': '/node_modules/@tensorflow/tfjs-layers/dist/tf-layers.fesm.min.js',
          '@bagnet-vis/core': '/packages/core/cdn/core.js',
          '@bagnet-vis/elements': '/packages/elements/cdn/elements.js',
        },
      })}</script>
      <script type="module">
        import { ELEMENTS } from '@bagnet-vis/elements';
        window.esmElements = Object.keys(ELEMENTS);
      </script></head>`,
    );
    // cdn/convert.js on a page without a build step: its CheckpointConverter must find
    // cdn/convert.worker.js next to itself, and the worker must run without the import map.
    const convertPage = `<!doctype html><meta charset="utf-8"><title>convert in a worker</title>
      <script type="importmap">${JSON.stringify({
        imports: {
          '@tensorflow/tfjs-core': '/node_modules/@tensorflow/tfjs-core/dist/tf-core.fesm.min.js',
          '@tensorflow/tfjs-layers': '/node_modules/@tensorflow/tfjs-layers/dist/tf-layers.fesm.min.js',
          '@bagnet-vis/core': '/packages/core/cdn/core.js',
          '@bagnet-vis/convert': '/packages/convert/cdn/convert.js',
        },
      })}</script>
      <script type="module">
        import { foldedWeightSpecs } from '@bagnet-vis/core';
        import { convertInWorker } from '@bagnet-vis/convert';
        const r = await fetch('/test/fixtures/bagnet33_c10_s0_w0.125_b1111/bagnet33_c10_s0_w0.125_b1111.pth.tar');
        const converted = await convertInWorker(await r.blob(), { fileName: 'fixture.pth.tar' });
        window.converted = {
          weights: converted.weights.size,
          expected: foldedWeightSpecs(converted.architecture).length,
          classes: converted.architecture.numClasses,
        };
      </script>`;
    server = await serveStatic(ROOT, { '/demos/cdn/mixed.html': mixed, '/demos/cdn/convert-worker.html': convertPage });
    ({ browser, close: closeBrowser } = await launchChromium());
  });
  after(async () => {
    await closeBrowser?.();
    await server?.close();
  });

  it('keeps tfjs and sibling packages external, lit inside, and the elements bundle within budget', () => {
    for (const pkg of ['core', 'convert', 'models', 'elements', 'tfjs-vis']) {
      const file = `packages/${pkg}/cdn/${pkg}.js`;
      if (pkg === 'tfjs-vis' && !existsSync(join(ROOT, 'packages/tfjs-vis/src/index.ts'))) continue;
      const code = read(file);
      const bare = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"'./][^"']*)["']/g)].map((m) => m[1]!);
      for (const id of bare) {
        assert.match(
          id,
          /^@(tensorflow|bagnet-vis)\//,
          `${file} imports ${id}: only tfjs and @bagnet-vis stay external`,
        );
      }
      assert.ok(!bare.includes(`@bagnet-vis/${pkg}`), `${file} imports itself`);
    }
    // The worker sees no import map: everything it needs is inside, and no tfjs.
    const worker = read('packages/convert/cdn/convert.worker.js');
    assert.doesNotMatch(
      worker,
      /\bfrom\s*["'][^"'./]|\bimport\s*\(?\s*["'][^"'./]/,
      'convert.worker.js imports nothing bare',
    );
    assert.doesNotMatch(worker, /tensorflow|tfjs/i, 'convert.worker.js carries no tfjs');
    const elements = readFileSync(join(ROOT, 'packages/elements/cdn/elements.js'));
    const gzip = gzipSync(elements, { level: 9 }).length;
    assert.ok(
      gzip <= ELEMENTS_BUDGET_BYTES,
      `cdn/elements.js is ${(gzip / 1024).toFixed(1)} kB min+gzip, over the ${ELEMENTS_BUDGET_BYTES / 1024} kB budget`,
    );
    const umd = read('packages/elements/cdn/elements.umd.js');
    assert.match(umd, /\.bagnetVis\s*=\s*\{\}/, 'the UMD bundle defines the global bagnetVis');
    assert.doesNotMatch(umd, /\bimport\s*\(/, 'the UMD bundle has no dynamic import() left');
    const requires = [...umd.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]).sort();
    assert.deepEqual(requires, ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers']);
  });

  it('the CDN snippets in the pages and READMEs name files that exist, at the versions built here', () => {
    checkCdnUrls(read('demos/cdn/index.html'));
    checkCdnUrls(read('demos/cdn/umd.html'));
    for (const pkg of ['core', 'convert', 'elements', 'models']) checkCdnUrls(read(`packages/${pkg}/README.md`), 1);
  });

  it('index.html (import map + ES modules) paints the three views without errors', async () => {
    const { page, errors } = await open(browser, `${server.origin}/demos/cdn/index.html`);
    try {
      const painted = await waitForPaint(page);
      assert.deepEqual(painted.tags, ['bagnet-explainer', 'bagnet-heatmap', 'patch-gallery', 'evidence-bar']);
      assert.ok(painted.overlay[0] > 0 && painted.overlay[2] > 0, `overlay painted: ${painted.overlay.join('×')}`);
      assert.ok(painted.tiles > 0 && painted.bars > 0);
      assert.equal(await page.evaluate(() => 'bagnetVis' in window), false, 'no globals from the ESM bundle');
      assert.deepEqual(errors, []);
      assert.deepEqual(server.missing, []);
      if (process.env['BAGNET_SCREENSHOTS']) {
        mkdirSync(join(ROOT, 'docs/screenshots'), { recursive: true });
        await page.screenshot({ path: join(ROOT, 'docs/screenshots/cdn.png'), fullPage: true });
      }
    } finally {
      await page.close();
    }
  });

  it('umd.html (script tags, global bagnetVis) paints the three views without errors', async () => {
    const { page, errors } = await open(browser, `${server.origin}/demos/cdn/umd.html`);
    try {
      const painted = await waitForPaint(page);
      assert.deepEqual(painted.tags, ['bagnet-explainer', 'bagnet-heatmap', 'patch-gallery', 'evidence-bar']);
      assert.ok(painted.overlay[2] > 0 && painted.tiles > 0 && painted.bars > 0);
      await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Top class'));
      const api = await page.evaluate(() => {
        const g = (window as unknown as { bagnetVis: Record<string, unknown> }).bagnetVis;
        return ['loadBagNet', 'EvidenceMap', 'BagNetHeatmapElement', 'defineElement', 'render', 'show'].filter(
          (k) => k in g,
        );
      });
      const withTfjsVis = existsSync(join(ROOT, 'packages/tfjs-vis/src/index.ts'));
      assert.deepEqual(api, [
        'loadBagNet',
        'EvidenceMap',
        'BagNetHeatmapElement',
        'defineElement',
        ...(withTfjsVis ? ['render', 'show'] : []),
      ]);
      assert.deepEqual(errors, []);
      assert.deepEqual(server.missing, []);
    } finally {
      await page.close();
    }
  });

  it('cdn/convert.js converts a checkpoint in cdn/convert.worker.js, found next to it', async () => {
    const { page, errors } = await open(browser, `${server.origin}/demos/cdn/convert-worker.html`);
    try {
      await page.waitForFunction(() => 'converted' in window, { timeout: 30_000 });
      const converted = await page.evaluate(
        () => (window as unknown as { converted: { weights: number; expected: number; classes: number } }).converted,
      );
      assert.equal(converted.classes, 10);
      assert.ok(converted.weights > 0);
      assert.equal(converted.weights, converted.expected);
      assert.deepEqual(errors, []);
      assert.deepEqual(server.missing, []);
    } finally {
      await page.close();
    }
  });

  it('the UMD and the ESM bundle on one page: no error, the first definition is kept, with a warning', async () => {
    const { page, errors, warnings } = await open(browser, `${server.origin}/demos/cdn/mixed.html`);
    try {
      const painted = await waitForPaint(page);
      await page.waitForFunction(() => 'esmElements' in window, { timeout: 30_000 });
      assert.equal(painted.tags.length, 4);
      assert.deepEqual(errors, []);
      assert.deepEqual(server.missing, []);
      const kept = await page.evaluate(
        () =>
          customElements.get('bagnet-heatmap') ===
          (window as unknown as { bagnetVis: { BagNetHeatmapElement: unknown } }).bagnetVis.BagNetHeatmapElement,
      );
      assert.ok(kept, 'the UMD copy, loaded first, keeps the tags');
      assert.ok(
        warnings.some((w) => /<bagnet-heatmap> is already defined by another class/.test(w)),
        `a warning names the double definition; got: ${warnings.join(' | ')}`,
      );
    } finally {
      await page.close();
    }
  });
});
