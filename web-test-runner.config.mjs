// @ts-check
/**
 * Browser tests in real headless Chromium (Debian's /usr/bin/chromium or $CHROME_PATH).
 * Each *.test.ts file is bundled on request with esbuild (tfjs's CommonJS dependencies included,
 * one tfjs copy per test page), so no pre-bundling step is needed. WebGL and WebGPU run on
 * SwiftShader.
 */
import { chromeLauncher } from '@web/test-runner-chrome';
import { build } from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromiumPath } from './scripts/chromium.mjs';

/** @type {import('@web/dev-server-core').Plugin} */
const esbuildBundle = {
  name: 'esbuild-bundle-tests',
  async serve(context) {
    if (!context.path.endsWith('.test.ts')) return undefined;
    const result = await build({
      entryPoints: [join(process.cwd(), decodeURIComponent(context.path))],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      conditions: ['source'],
      sourcemap: 'inline',
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"test"' },
      // tfjs-core's Node-only code paths reference these; the browser never runs them.
      external: ['fs', 'path', 'crypto', 'worker_threads', 'perf_hooks', 'os', 'util', 'node-fetch', 'string_decoder'],
    });
    return { body: result.outputFiles[0]?.text ?? '', type: 'js' };
  },
};

const flags = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

export default {
  rootDir: '.',
  files: ['packages/*/test/**/*.browser.test.ts', 'packages/elements/src/**/*.test.ts', 'test/browser/**/*.test.ts'],
  nodeResolve: false,
  concurrency: 1,
  concurrentBrowsers: 1,
  testsFinishTimeout: 15 * 60 * 1000,
  testFramework: { config: { timeout: 240000 } },
  plugins: [esbuildBundle],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: chromiumPath(),
        headless: true,
        args: [...flags, `--user-data-dir=${mkdtempSync(join(tmpdir(), 'bagnet-wtr-'))}`],
      },
    }),
  ],
};
