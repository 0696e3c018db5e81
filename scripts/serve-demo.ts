/**
 * `npm start`: bundles the demo page with esbuild, converts the demo model from its PyTorch
 * checkpoint with @bagnet-vis/convert (the same path a user's checkpoint takes), and serves
 * everything on http://localhost:8080 (PORT overrides; PORT=0 picks a free port).
 */
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

import { serializeBagNet } from '@bagnet-vis/core';
import { bagnetFromStateDict, readTorchCheckpoint } from '@bagnet-vis/convert';

const root = fileURLToPath(new URL('..', import.meta.url));
const site = join(root, 'demos', 'site');
const DEMO_CHECKPOINT = join(root, 'test/fixtures/bagnet33_c10_s0_w0.125_b1111/bagnet33_c10_s0_w0.125_b1111.pth.tar');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.css': 'text/css',
};

export async function startDemoServer(port = Number(process.env['PORT'] ?? 8080)) {
  const bundle = await build({
    entryPoints: [join(site, 'main.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['source'],
    minify: true,
    logLevel: 'warning',
    external: ['fs', 'path', 'crypto', 'worker_threads', 'perf_hooks', 'os', 'util', 'node-fetch', 'string_decoder'],
  });
  const mainJs = bundle.outputFiles[0]!.text;
  const { useBackend } = await import('@bagnet-vis/core');
  await useBackend('cpu');
  const net = bagnetFromStateDict(readTorchCheckpoint(new Uint8Array(await readFile(DEMO_CHECKPOINT))), {
    provenance: { source: 'bagnet33_c10_s0_w0.125_b1111.pth.tar (random-weight parity fixture)' },
  });
  const { modelJson, shards } = await serializeBagNet(net);
  net.dispose();
  const memory = new Map<string, Uint8Array | string>([
    ['/main.js', mainJs],
    ['/models/demo/model.json', JSON.stringify(modelJson)],
    ...[...shards].map(([k, v]) => [`/models/demo/${k}`, v] as [string, Uint8Array]),
  ]);
  const statics: [string, string][] = [
    ['/wasm/', join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/')],
    ['/fixtures/', join(root, 'test/fixtures/')],
    ['/', site + '/'],
  ];
  const server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const key = path === '/' ? '/index.html' : path;
      const hit = memory.get(key);
      const type = TYPES[extname(key)] ?? 'application/octet-stream';
      if (hit !== undefined) {
        res.writeHead(200, { 'content-type': type });
        res.end(hit);
        return;
      }
      for (const [prefix, dir] of statics) {
        if (!key.startsWith(prefix)) continue;
        const file = normalize(join(dir, key.slice(prefix.length)));
        if (!file.startsWith(dir)) break;
        try {
          const body = await readFile(file);
          res.writeHead(200, { 'content-type': type });
          res.end(body);
          return;
        } catch {
          /* try the next root */
        }
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`Not found: ${path}`);
    })();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://localhost:${typeof address === 'object' && address ? address.port : port}/`;
  return { server, url };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { url } = await startDemoServer();
  console.log(`bagnet-vis demo: ${url}  (Ctrl+C to stop)`);
}
