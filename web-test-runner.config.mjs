// @ts-check
/**
 * Browser tests in real headless Chromium (Debian's /usr/bin/chromium or $CHROME_PATH).
 * Each *.test.ts file is bundled on request with esbuild (tfjs's CommonJS dependencies included,
 * one tfjs copy per test page), so no pre-bundling step is needed; so is each *.worker.ts file,
 * which tests start as module workers (`new Worker('/packages/…/x.worker.ts', { type: 'module' })`).
 * WebGL and WebGPU run on SwiftShader.
 */
import { defaultReporter } from '@web/test-runner';
import { chromeLauncher } from '@web/test-runner-chrome';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { bundleForBrowser } from './scripts/browser-bundle.mjs';
import { CHROMIUM_FLAGS, chromiumPath, SWIFTSHADER_FLAGS } from './scripts/chromium.mjs';
import { summaryOnceReporter } from './scripts/test-report/wtr-summary.mjs';

/** Chromium's profile: a fresh folder per run, removed when the runner exits (Chromium is closed by then). */
const userDataDir = mkdtempSync(join(tmpdir(), 'bagnet-wtr-'));
process.on('exit', () => rmSync(userDataDir, { recursive: true, force: true }));

/** In a terminal the live progress bar; in a log (CI) no progress bar, one summary at the end. */
const interactive = Boolean(process.stdout.isTTY) && !process.env['CI'];

/** @type {import('@web/dev-server-core').Plugin} */
const esbuildBundle = {
  name: 'esbuild-bundle-tests',
  async serve(context) {
    if (!context.path.endsWith('.test.ts') && !context.path.endsWith('.worker.ts')) return undefined;
    const result = await bundleForBrowser({
      entryPoints: [join(process.cwd(), decodeURIComponent(context.path))],
      sourcemap: 'inline',
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"test"' },
    });
    return { body: result.outputFiles[0]?.text ?? '', type: 'js' };
  },
};

export default {
  rootDir: '.',
  files: ['packages/*/test/**/*.browser.test.ts', 'packages/elements/src/**/*.test.ts', 'test/browser/**/*.test.ts'],
  nodeResolve: false,
  concurrency: 1,
  concurrentBrowsers: 1,
  testsFinishTimeout: 15 * 60 * 1000,
  testFramework: { config: { timeout: 240000 } },
  plugins: [esbuildBundle],
  reporters: interactive
    ? [defaultReporter(), summaryOnceReporter()]
    : [defaultReporter({ reportTestProgress: false }), summaryOnceReporter()],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: chromiumPath(),
        headless: true,
        args: ['--headless=new', ...CHROMIUM_FLAGS, ...SWIFTSHADER_FLAGS, `--user-data-dir=${userDataDir}`],
      },
    }),
  ],
};
