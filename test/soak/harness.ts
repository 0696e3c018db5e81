/**
 * A page for long-running and page-safety tests in headless Chromium, under our control: the page
 * script (./page.ts) bundled with esbuild at start-up, tiny models serialised in Node, generated
 * test images and the tfjs WASM binaries, served from memory by a small node:http server that can
 * send a Content-Security-Policy header with every response; and Chromium launched with a garbage
 * collector and precise memory figures, measured through the DevTools protocol.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { PNG } from 'pngjs';
import puppeteer from 'puppeteer-core';
import type { Browser, CDPSession, Page } from 'puppeteer-core';

import { BagNet, bagnetArchitecture, serializeBagNet, useBackend } from '@bagnet-vis/core';

import { bundleForBrowser } from '../../scripts/browser-bundle.mjs';
import { CHROMIUM_FLAGS, chromiumPath, SWIFTSHADER_FLAGS } from '../../scripts/chromium.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Labels of the `hostile` model: markup, a script, a bidi override. */
export const HOSTILE_LABELS = [
  '<img src=x onerror="window.__bagnetXss=1">',
  '<script>window.__bagnetXss=2</script>',
  'cat\u202egod',
  '"><svg onload="window.__bagnetXss=3">',
];

/** The test images: name → [width, height]. */
export const IMAGES: Record<string, readonly [number, number]> = {
  a: [64, 64],
  b: [72, 56],
  c: [56, 80],
  d: [64, 48],
  e: [48, 64],
  f: [80, 72],
  big: [192, 160], // for dense runs that last long enough to be cancelled
};

/** A seeded RGB pattern as PNG bytes. */
function patternPng(width: number, height: number, seed: number): Buffer {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      png.data[i] = (x * 5 + seed * 31) & 255;
      png.data[i + 1] = (y * 7 + seed * 57) & 255;
      png.data[i + 2] = ((x ^ y) * 3 + seed * 11) & 255;
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  json: 'application/json',
  png: 'image/png',
  wasm: 'application/wasm',
  bin: 'application/octet-stream',
};

export interface PageServer {
  readonly server: Server;
  readonly url: string;
  /** The page script, as served (for a look at what it contains). */
  readonly bundle: string;
  close(): Promise<void>;
}

/** Serves the soak page; `csp` (if given) goes out as the Content-Security-Policy of every response. */
export async function startPageServer(options: { csp?: string } = {}): Promise<PageServer> {
  const result = await bundleForBrowser({
    entryPoints: [fileURLToPath(new URL('./page.ts', import.meta.url))],
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const bundle = result.outputFiles[0]!.text;
  const files = new Map<string, string | Uint8Array>([
    [
      '/',
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bagnet-vis soak</title>' +
        '<script type="module" src="/main.js"></script></head><body><main id="stage"></main></body></html>',
    ],
    ['/main.js', bundle],
    ['/favicon.ico', new Uint8Array(0)],
  ]);
  await useBackend('cpu');
  const architecture = bagnetArchitecture({ q: 9, widthScale: 0.0625, blocks: [1, 1, 1, 1], numClasses: 4 });
  for (const [name, labels] of [
    ['tiny', ['cat', 'dog', 'car', 'tree']],
    ['hostile', HOSTILE_LABELS],
  ] as const) {
    const net = BagNet.create(architecture, { seed: 11, labels: [...labels] });
    const { modelJson, shards } = await serializeBagNet(net);
    net.dispose();
    files.set(`/models/${name}/model.json`, JSON.stringify(modelJson));
    for (const [file, bytes] of shards) files.set(`/models/${name}/${file}`, bytes);
  }
  Object.entries(IMAGES).forEach(([name, [w, h]], i) => files.set(`/images/${name}.png`, patternPng(w, h, i + 1)));
  for (const wasm of [
    'tfjs-backend-wasm.wasm',
    'tfjs-backend-wasm-simd.wasm',
    'tfjs-backend-wasm-threaded-simd.wasm',
  ]) {
    files.set(`/wasm/${wasm}`, readFileSync(join(ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist', wasm)));
  }
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const body = files.get(path);
    const headers: Record<string, string> = { 'cache-control': 'no-store' };
    if (options.csp !== undefined) headers['content-security-policy'] = options.csp;
    if (body === undefined) {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const ext = path === '/' ? 'html' : (path.split('.').pop() ?? '');
    res.writeHead(200, { ...headers, 'content-type': TYPES[ext] ?? 'application/octet-stream' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}/`,
    bundle,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Headless Chromium with a collectable heap (gc, precise memory) and software WebGL / WebGPU. */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'bagnet-soak-'));
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      ...CHROMIUM_FLAGS,
      ...SWIFTSHADER_FLAGS,
      '--js-flags=--expose-gc',
      '--enable-precise-memory-info',
      `--user-data-dir=${profile}`,
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A page of the server, with everything it reports collected. */
export interface SoakPage {
  readonly page: Page;
  readonly cdp: CDPSession;
  /** Uncaught errors and console errors, in order. */
  readonly problems: string[];
  /** Console warnings (Chrome's, tfjs's, ours), in order. */
  readonly warnings: string[];
  /** Used JS heap (bytes) after full garbage collections. */
  heap(): Promise<number>;
  /**
   * What the page's own objects take after full garbage collections (bytes, from a heap snapshot):
   * the heap without V8's compiled code, which grows as the optimiser warms up, and without
   * browser-internal (native) buffers such as the DevTools network log.
   */
  objects(): Promise<number>;
}

/** Heap-snapshot node types that are the page's objects (not code, not browser internals). */
const OBJECT_TYPES = new Set([
  'object',
  'closure',
  'array',
  'string',
  'concatenated string',
  'sliced string',
  'regexp',
  'number',
  'symbol',
  'bigint',
]);

export async function openPage(browser: Browser, url: string): Promise<SoakPage> {
  const page = await browser.newPage();
  const problems: string[] = [];
  const warnings: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${String(e)}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
    if (m.type() === 'warn') warnings.push(m.text());
  });
  const cdp = await page.createCDPSession();
  await page.goto(url);
  await page.waitForFunction(() => (window as { soak?: unknown }).soak !== undefined, { timeout: 60_000 });
  return {
    page,
    cdp,
    problems,
    warnings,
    async heap() {
      for (let i = 0; i < 3; i++) await cdp.send('HeapProfiler.collectGarbage');
      return (await cdp.send('Runtime.getHeapUsage')).usedSize;
    },
    async objects() {
      for (let i = 0; i < 3; i++) await cdp.send('HeapProfiler.collectGarbage');
      const chunks: string[] = [];
      const onChunk = (e: { chunk: string }) => chunks.push(e.chunk);
      cdp.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
      await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      cdp.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
      const snap = JSON.parse(chunks.join('')) as {
        snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
        nodes: number[];
      };
      const fields = snap.snapshot.meta.node_fields;
      const types = snap.snapshot.meta.node_types[0];
      const type = fields.indexOf('type');
      const size = fields.indexOf('self_size');
      let total = 0;
      for (let i = 0; i < snap.nodes.length; i += fields.length) {
        if (OBJECT_TYPES.has(types[snap.nodes[i + type]!]!)) total += snap.nodes[i + size]!;
      }
      return total;
    },
  };
}
