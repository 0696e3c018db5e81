/**
 * Forward-pass latency of full-size BagNet-q in headless Chromium on wasm, webgl and webgpu
 * (SwiftShader here unless the machine has a GPU), with each backend's 1×1-conv peak measured in
 * the same page. Called by `npm run bench -- --browser`.
 */
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import puppeteer from 'puppeteer-core';

import { bundleForBrowser } from '../../scripts/browser-bundle.mjs';
import { CHROMIUM_FLAGS, chromiumPath, SWIFTSHADER_FLAGS } from '../../scripts/chromium.mjs';
import { CROSS_ORIGIN_ISOLATION_HEADERS } from '../../scripts/isolation.mjs';

export interface BrowserForwardResult {
  backend: string;
  forward: number;
  peakGflops: number;
  /** WASM threads tfjs computed on (the page is cross-origin isolated). */
  threads?: number;
}

/**
 * One page of the benchmark: a tfjs backend, and for WASM a thread count (default: all cores); or
 * `ort-web`, the peer: the same network in onnxruntime-web's WASM backend (SIMD, threads) from the
 * ONNX file `onnx`.
 */
export interface BrowserForwardSpec {
  backend: string;
  threads?: number;
}

/** The in-page part of the onnxruntime-web peer (ESM build served from node_modules). */
const ORT_PAGE = `
import * as ort from '/ort/ort.wasm.min.mjs';
window.runOrt = async (threads, size, runs) => {
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  ort.env.wasm.wasmPaths = '/ort/';
  const session = await ort.InferenceSession.create('/model.onnx', {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  const data = new Float32Array(3 * size * size);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [1, 3, size, size]) };
  const pass = async () => {
    const t = performance.now();
    const out = await session.run(feeds);
    for (const v of Object.values(out)) v.dispose();
    return (performance.now() - t) / 1000;
  };
  await pass();
  const times = [];
  for (let i = 0; i < runs; i++) times.push(await pass());
  times.sort((a, b) => a - b);
  await session.release();
  return { backend: 'ort-web', forward: times[Math.floor(times.length / 2)], peakGflops: NaN, threads };
};
`;

const TYPES: Record<string, string> = {
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
};

const root = fileURLToPath(new URL('../..', import.meta.url));

export async function browserForward(
  specs: BrowserForwardSpec[],
  q: number,
  size: number,
  runs: number,
  onnx?: string,
): Promise<BrowserForwardResult[]> {
  const bundle = await bundleForBrowser({
    entryPoints: [fileURLToPath(new URL('./browser-forward.page.ts', import.meta.url))],
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
      } else if (path === '/ort.html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><link rel="icon" href="data:,"><script type="module" src="/ort-page.js"></script>');
      } else if (path === '/ort-page.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(ORT_PAGE);
      } else {
        const file = path.includes('..')
          ? undefined
          : path.startsWith('/wasm/')
            ? join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist', path.slice(6))
            : path.startsWith('/ort/')
              ? join(root, 'node_modules/onnxruntime-web/dist', path.slice(5))
              : path === '/model.onnx'
                ? onnx
                : undefined;
        try {
          if (file === undefined) throw new Error('not served');
          const body = await readFile(file);
          res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
          res.end(body);
        } catch {
          res.writeHead(404).end();
        }
      }
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
      if (backend === 'ort-web') {
        await page.goto(`http://127.0.0.1:${port}/ort.html`);
        await page.waitForFunction(() => 'runOrt' in window);
        results.push(
          await page.evaluate(
            (t, s, n) =>
              (window as unknown as { runOrt: (...a: unknown[]) => Promise<BrowserForwardResult> }).runOrt(t, s, n),
            threads ?? 1,
            size,
            runs,
          ),
        );
        await page.close();
        continue;
      }
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
