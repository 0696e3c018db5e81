/**
 * Builds and serves the tfjs-vis dashboard (demos/tfjs-vis):
 *
 *   node --conditions=source --import tsx demos/tfjs-vis/build.ts            # http://localhost:8081/
 *   node --conditions=source --import tsx demos/tfjs-vis/build.ts --screenshot demos/tfjs-vis/screenshot.png [--tab Model]
 *
 * `buildTfjsVisDashboard()` returns the page's files (index.html and the esbuild bundle main.js) for
 * another server to mount, e.g. the demo server of `npm start`; the page reads the model, its
 * training log, the sample images and the WASM binaries at their repository paths
 * (`DASHBOARD_STATIC_ROOTS`).
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

import { bundleForBrowser } from '../../scripts/browser-bundle.mjs';
import { CHROMIUM_FLAGS, chromiumPath } from '../../scripts/chromium.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Repository folders the page reads from, served at their own paths. */
export const DASHBOARD_STATIC_ROOTS = [
  'packages/models/default/',
  'packages/models/samples/',
  'node_modules/@tensorflow/tfjs-backend-wasm/dist/',
] as const;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
};

/** The page's files: `index.html` and `main.js` (main.ts bundled with tfjs, tfjs-vis and lit). */
export async function buildTfjsVisDashboard(): Promise<{ 'index.html': string; 'main.js': string }> {
  const bundle = await bundleForBrowser({
    entryPoints: [join(here, 'main.ts')],
    minify: true,
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return { 'index.html': await readFile(join(here, 'index.html'), 'utf8'), 'main.js': bundle.outputFiles[0]!.text };
}

/** Serves the dashboard at `/` (and `/demos/tfjs-vis/`) with the files it reads. */
export async function startTfjsVisDashboard(port = 8081): Promise<{ server: Server; url: string }> {
  const files = await buildTfjsVisDashboard();
  const server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const name =
        path === '/' || path === '/demos/tfjs-vis/' ? 'index.html' : path.replace(/^\/(demos\/tfjs-vis\/)?/, '');
      if (name === 'index.html' || name === 'main.js') {
        res.writeHead(200, { 'content-type': TYPES[extname(name)]! });
        res.end(files[name]);
        return;
      }
      const file = normalize(join(root, path));
      if (DASHBOARD_STATIC_ROOTS.some((dir) => file.startsWith(join(root, dir)))) {
        try {
          const body = await readFile(file);
          res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
          res.end(body);
          return;
        } catch {
          /* 404 below */
        }
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`Not found: ${path}`);
    })();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  return { server, url: `http://localhost:${typeof address === 'object' && address ? address.port : port}/` };
}

/** Opens the dashboard in headless Chromium, waits for every view and saves a screenshot. */
async function screenshot(path: string, tab: string): Promise<void> {
  const { default: puppeteer } = await import('puppeteer-core');
  const { server, url } = await startTfjsVisDashboard(0);
  const profile = mkdtempSync(join(tmpdir(), 'bagnet-tfjs-vis-'));
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`],
    defaultViewport: { width: 1400, height: 900 },
  });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(String(e)));
    await page.goto(url);
    await page.waitForSelector('#status[data-done]', { timeout: 60_000 });
    await page.evaluate((name) => {
      const visor = document.querySelector('.visor');
      [...(visor?.querySelectorAll<HTMLElement>('button, a, div') ?? [])]
        .find((el) => el.textContent === name && el.children.length === 0)
        ?.click();
    }, tab);
    await new Promise((r) => setTimeout(r, 1500));
    await page.screenshot({ path });
    console.log(`saved ${path}`);
  } finally {
    await browser.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const at = process.argv.indexOf('--screenshot');
  const tab = process.argv.indexOf('--tab');
  if (at > 0)
    await screenshot(
      process.argv[at + 1] ?? join(here, 'screenshot.png'),
      (tab > 0 ? process.argv[tab + 1] : undefined) ?? 'Evidence',
    );
  else {
    const { url } = await startTfjsVisDashboard(Number(process.env['PORT'] ?? 8081));
    console.log(`bagnet-vis tfjs-vis dashboard: ${url}  (Ctrl+C to stop)`);
  }
}
