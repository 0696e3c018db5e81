/**
 * `npm run bench -- targets`: the speed targets on a machine without a GPU, measured in headless
 * Chromium with WebGL and WebGPU on SwiftShader (the flags of scripts/chromium.mjs) — a script that
 * prints numbers, not a timed test.
 *
 *   1. `npm start`'s page: first explanation after the default model has loaded (performance marks
 *      bagnet-demo:model-loaded → bagnet-demo:first-explanation set by demos/site/main.ts), with the
 *      backend the page picked and its WASM threads. Target ≤ 1.5 s.
 *   2. A 224² BagNet-33 forward on WASM with 2 threads (cross-origin-isolated page), median of
 *      --runs. Target ≤ 0.7 s.
 *   3. The demo's analyses on the default model (masking by area over the 50 samples, then logit
 *      linearity), from the click on "Run" to the plots. Target (masking) ≤ 5 s.
 *
 *   npm run bench -- targets [--runs 5] [--skip-forward] [--skip-analyses]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import puppeteer from 'puppeteer-core';

import { CHROMIUM_FLAGS, chromiumPath, SWIFTSHADER_FLAGS } from '../../scripts/chromium.mjs';
import { startDemoServer } from '../../scripts/serve-demo.js';
import { browserForward } from './browser-forward.js';

interface PageNumbers {
  firstExplanationMs: number;
  backend: string;
  why: string;
  analysesMs?: number;
  analysesStatus?: string;
}

async function demoPage(withAnalyses: boolean): Promise<PageNumbers> {
  const server = await startDemoServer(0);
  const profile = mkdtempSync(join(tmpdir(), 'bagnet-targets-'));
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    protocolTimeout: 15 * 60 * 1000,
    args: [...CHROMIUM_FLAGS, ...SWIFTSHADER_FLAGS, `--user-data-dir=${profile}`],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready]', { timeout: 5 * 60_000 });
    // No named functions inside evaluate: tsx would wrap them in a helper the page lacks.
    const first = await page.evaluate(() => ({
      firstExplanationMs:
        (performance.getEntriesByName('bagnet-demo:first-explanation')[0]?.startTime ?? NaN) -
        (performance.getEntriesByName('bagnet-demo:model-loaded')[0]?.startTime ?? NaN),
      backend: document.querySelector<HTMLElement>('#backend-status')?.dataset['backend'] ?? '?',
      why: document.querySelector('#backend-why')?.textContent ?? '',
    }));
    if (!withAnalyses) return first;
    const t = Date.now();
    await page.click('#analyses-run');
    await page.waitForSelector('#analyses[data-state="done"], #analyses[data-state="error"]', { timeout: 10 * 60_000 });
    const analysesMs = Date.now() - t;
    const analysesStatus = await page.$eval('#analyses-status', (s) => s.textContent ?? '');
    return { ...first, analysesMs, analysesStatus };
  } finally {
    await browser.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string', default: '5' },
      'skip-forward': { type: 'boolean' },
      'skip-analyses': { type: 'boolean' },
    },
  });
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const verdict = (ms: number, target: number) => (ms <= target ? 'met' : `missed by ${(ms / target).toFixed(1)}×`);

  const page = await demoPage(!values['skip-analyses']);
  console.log(`demo page (npm start) picked ${page.backend}: ${page.why}`);
  console.log(
    `1. first explanation after the model loaded: ${s(page.firstExplanationMs)} (target ≤ 1.5 s: ${verdict(page.firstExplanationMs, 1500)})`,
  );
  if (!values['skip-forward']) {
    const [r] = await browserForward([{ backend: 'wasm', threads: 2 }], 33, 224, Math.max(3, Number(values.runs)));
    const ms = r!.forward * 1000;
    console.log(
      `2. BagNet-33 224² forward, WASM ${r!.threads ?? '?'} threads: ${s(ms)} (target ≤ 0.7 s: ${verdict(ms, 700)})`,
    );
  }
  if (page.analysesMs !== undefined) {
    console.log(
      `3. analyses on the default model (masking + logit linearity), click to plots: ${s(page.analysesMs)} (target for masking ≤ 5 s: ${verdict(page.analysesMs, 5000)}); page says: ${page.analysesStatus}`,
    );
  }
}
