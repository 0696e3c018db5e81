/**
 * A static file server for page-level tests: serves a folder as it is (no bundling, no
 * transforms), like any static host or CDN would, plus optional in-memory pages.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.css': 'text/css',
  '.md': 'text/markdown; charset=utf-8',
};

export interface StaticServer {
  readonly server: Server;
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly origin: string;
  /** Paths requested that were not found (404), in order. */
  readonly missing: string[];
  close(): Promise<void>;
}

/**
 * Serves `root` on a free port of 127.0.0.1. `pages` maps URL paths (e.g. `/mixed.html`) to
 * in-memory HTML served before any file.
 */
export async function serveStatic(root: string, pages: Record<string, string> = {}): Promise<StaticServer> {
  const missing: string[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      const page = pages[path];
      if (page !== undefined) {
        res.writeHead(200, { 'content-type': TYPES['.html']!, 'cache-control': 'no-store' });
        res.end(page);
        return;
      }
      let file = normalize(join(root, path));
      if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) {
        res.writeHead(403).end();
        return;
      }
      let size: number;
      try {
        if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
        size = (await stat(file)).size;
      } catch {
        // Chromium asks for /favicon.ico by itself, at a moment that depends on the machine's
        // load; no page names it, so it is answered empty instead of counted as missing.
        if (path === '/favicon.ico') {
          res.writeHead(204).end();
          return;
        }
        missing.push(path);
        res.writeHead(404).end(`not found: ${path}`);
        return;
      }
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': String(size),
        'cache-control': 'no-store',
      });
      createReadStream(file).pipe(res);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    missing,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
