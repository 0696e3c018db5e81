/**
 * Forward-pass latency of full-size BagNet-q in headless Chromium on wasm, webgl and webgpu
 * (SwiftShader here unless the machine has a GPU), with each backend's 1×1-conv peak measured in
 * the same page. Called by `npm run bench -- --browser`.
 */
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';
import puppeteer from 'puppeteer-core';

import { CHROMIUM_FLAGS, chromiumPath, NODE_ONLY_EXTERNALS, SWIFTSHADER_FLAGS } from '../../scripts/chromium.mjs';
import { CROSS_ORIGIN_ISOLATION_HEADERS } from '../../scripts/isolation.mjs';

export interface BrowserForwardResult {
  backend: string;
  forward: number;
  peakGflops: number;
  /** WASM threads tfjs computed on (the page is cross-origin isolated). */
  threads?: number;
}

/** One page of the benchmark: a backend, and for WASM a thread count (default: all cores). */
export interface BrowserForwardSpec {
  backend: string;
  threads?: number;
}

const root = fileURLToPath(new URL('../..', import.meta.url));

export async function browserForward(
  specs: BrowserForwardSpec[],
  q: number,
  size: number,
  runs: number,
): Promise<BrowserForwardResult[]> {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./browser-forward.page.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    conditions: ['source'],
    logLevel: 'warning',
    external: [...NODE_ONLY_EXTERNALS],
  });
  const js = bundle.outputFiles[0]!.text;
  const server = createServer((req, res) => {
    // Cross-origin isolated, as under `npm start`: tfjs-wasm runs its threaded SIMD binary.
    for (const [name, value] of Object.entries(CROSS_ORIGIN_ISOLATION_HEADERS)) res.setHeader(name, value);
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><link rel="icon" href="data:,"><script type="module" src="/bench.js"></script>');
      } else if (path === '/bench.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(js);
      } else if (path.startsWith('/wasm/') && !path.includes('..')) {
        try {
          const body = await readFile(join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist', path.slice(6)));
          res.writeHead(200, { 'content-type': 'application/wasm' });
          res.end(body);
        } catch {
          res.writeHead(404).end();
        }
      } else res.writeHead(404).end();
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const profile = mkdtempSync(join(tmpdir(), 'bagnet-bench-'));
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    protocolTimeout: 30 * 60 * 1000,
    // No --disable-gpu here: a machine with a GPU should time its real WebGL/WebGPU.
    args: [...CHROMIUM_FLAGS.filter((f) => f !== '--disable-gpu'), ...SWIFTSHADER_FLAGS, `--user-data-dir=${profile}`],
  });
  try {
    const results: BrowserForwardResult[] = [];
    for (const { backend, threads } of specs) {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => 'runBench' in window);
      const r = await page.evaluate(
        (b, qq, s, n, t) =>
          (window as unknown as { runBench: (...a: unknown[]) => Promise<BrowserForwardResult> }).runBench(
            b,
            qq,
            s,
            n,
            t,
          ),
        backend,
        q,
        size,
        runs,
        threads,
      );
      results.push(r);
      await page.close();
    }
    return results;
  } finally {
    await browser.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
