/**
 * `npm start`: bundles the demo site (demos/site) with esbuild and serves it, with the default model
 * of @bagnet-vis/models, on http://localhost:8080/ (PORT overrides; PORT=0 picks a free port).
 *
 * Layout of the site:
 *   /                      demos/site/ (index.html, styles.css)
 *   /app/                  the bundle, built in memory at start (code-split: each tfjs backend
 *                          loads when it is picked), and /app/convert.worker.js, the module
 *                          worker of @bagnet-vis/convert's CheckpointConverter (it looks for
 *                          `./convert.worker.js` next to its own module, i.e. in /app/)
 *   /default/ /samples/ /photos/
 *                          packages/models/: the default model, its test images and the photos.
 *                          @bagnet-vis/models computes these URLs from its module's location
 *                          (`new URL('../default/model.json', import.meta.url)`); in the bundle that
 *                          location is /app/…, so they land here — the package's own URLs work as
 *                          they do from a CDN.
 *   /wasm/                 the tfjs WASM binaries (the WASM backend)
 *   /docs/                 docs/storybook-static/ when it has been built (`npm run docs`), else a
 *                          page that says how to build it
 *
 * Every response carries COOP/COEP (scripts/isolation.mjs): the page is cross-origin isolated, so
 * tfjs's WASM backend runs its threaded SIMD binary on navigator.hardwareConcurrency threads.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { bundleForBrowser } from './browser-bundle.mjs';
import { CROSS_ORIGIN_ISOLATION_HEADERS } from './isolation.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const SITE = join(root, 'demos', 'site');
const DOCS = join(root, 'docs', 'storybook-static');
const MODELS = join(root, 'packages', 'models');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
};

/** URL prefix → folder served as it is. The first folder that has the file wins. */
const STATIC_ROOTS: readonly (readonly [string, string])[] = [
  ['/default/', join(MODELS, 'default')],
  ['/samples/', join(MODELS, 'samples')],
  ['/photos/', join(MODELS, 'photos')],
  ['/wasm/', join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist')],
  ['/docs/', DOCS],
  ['/', SITE],
];

const DOCS_MISSING = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Docs not built</title></head>
<body style="font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>The docs site is not built yet</h1>
<p>Build it once with <code>npm run docs</code> (it is written to <code>docs/storybook-static/</code>),
then reload this page. <a href="/">Back to the demo</a>.</p>
</body></html>`;

/** The running demo server. */
export interface DemoServer {
  readonly server: Server;
  /** `http://localhost:<port>/`. */
  readonly url: string;
  /** Milliseconds the esbuild bundle took. */
  readonly bundleMs: number;
  close(): Promise<void>;
}

/** Bundles demos/site/main.ts into memory: URL path (/app/…) → contents. */
async function bundleSite(): Promise<Map<string, Uint8Array>> {
  const outdir = join(root, '.demo-bundle'); // never written: write: false
  const result = await bundleForBrowser({
    entryPoints: {
      main: join(SITE, 'main.ts'),
      'convert.worker': join(root, 'packages', 'convert', 'src', 'convert.worker.ts'),
    },
    splitting: true,
    outdir,
    minify: true,
    sourcemap: 'linked',
  });
  return new Map(
    result.outputFiles.map((f) => [`/app/${relative(outdir, f.path).split(sep).join('/')}`, f.contents] as const),
  );
}

/** The file under `dir` that `rest` names (a folder means its index.html), or undefined. */
async function findFile(dir: string, rest: string): Promise<string | undefined> {
  const file = normalize(join(dir, rest));
  if (file !== dir && !file.startsWith(dir + sep)) return undefined; // ../ outside the root
  try {
    const s = await stat(file);
    if (s.isFile()) return file;
    if (s.isDirectory()) {
      const index = join(file, 'index.html');
      if ((await stat(index)).isFile()) return index;
    }
  } catch {
    /* not there */
  }
  return undefined;
}

/** index.html, with the docs link's hint shown when the docs site is not built. */
async function indexHtml(): Promise<string> {
  const html = await readFile(join(SITE, 'index.html'), 'utf8');
  return existsSync(join(DOCS, 'index.html'))
    ? html
    : html.replace('<span id="docs-hint" hidden>', '<span id="docs-hint">');
}

function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array, head: boolean): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache', ...CROSS_ORIGIN_ISOLATION_HEADERS });
  res.end(head ? undefined : body);
}

async function handle(req: IncomingMessage, res: ServerResponse, bundle: Map<string, Uint8Array>): Promise<void> {
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    send(res, 405, 'text/plain', 'Only GET and HEAD are served.', head);
    return;
  }
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    send(res, 400, 'text/plain', 'Bad URL.', head);
    return;
  }
  if (path === '/docs') {
    res.writeHead(301, { location: '/docs/', ...CROSS_ORIGIN_ISOLATION_HEADERS });
    res.end();
    return;
  }
  if (path === '/' || path === '/index.html') {
    send(res, 200, TYPES['.html']!, await indexHtml(), head);
    return;
  }
  const built = bundle.get(path);
  if (built !== undefined) {
    send(res, 200, TYPES[extname(path)] ?? 'application/octet-stream', built, head);
    return;
  }
  for (const [prefix, dir] of STATIC_ROOTS) {
    if (!path.startsWith(prefix)) continue;
    const file = await findFile(dir, path.slice(prefix.length));
    if (file !== undefined) {
      send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', await readFile(file), head);
      return;
    }
  }
  if (path.startsWith('/docs/') && !existsSync(join(DOCS, 'index.html'))) {
    send(res, 404, TYPES['.html']!, DOCS_MISSING, head);
    return;
  }
  send(res, 404, 'text/plain; charset=utf-8', `Not found: ${path}`, head);
}

/**
 * Bundles the site and starts serving it on 127.0.0.1:`port` (0: a free port). Rejects with a
 * readable message when the port is taken.
 */
export async function startDemoServer(port = Number(process.env['PORT'] ?? 8080)): Promise<DemoServer> {
  const started = performance.now();
  const bundle = await bundleSite();
  const bundleMs = performance.now() - started;
  const server = createServer((req, res) => {
    handle(req, res, bundle).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', `Server error: ${String(e)}`, false);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new Error(`Port ${port} is in use: stop the other server or pick another port, e.g. PORT=8081 npm start.`)
          : e,
      ),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    server,
    url: `http://localhost:${actual}/`,
    bundleMs,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const { url, bundleMs } = await startDemoServer();
    console.log(`bagnet-vis demo: ${url}  (bundled in ${(bundleMs / 1000).toFixed(1)} s; Ctrl+C to stop)`);
  } catch (e) {
    console.error(`bagnet-vis demo: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
