/**
 * End to end: `npm start`'s server, opened in headless Chromium, runs the demo BagNet and shows
 * its top classes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import puppeteer from 'puppeteer-core';
import type { Browser } from 'puppeteer-core';

import { startDemoServer } from '../../scripts/serve-demo.js';
import { chromiumPath } from '../../scripts/chromium.mjs';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('demo site (npm start)', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof startDemoServer>>;
  let profile: string;
  before(async () => {
    server = await startDemoServer(0);
    profile = mkdtempSync(join(tmpdir(), 'bagnet-demo-'));
    browser = await puppeteer.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: [...CHROMIUM_ARGS, `--user-data-dir=${profile}`],
    });
  });
  after(async () => {
    await browser?.close();
    server?.server.close();
    rmSync(profile, { recursive: true, force: true });
  });

  it('runs the model in the browser and shows the top classes', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(server.url);
    await page.waitForSelector('#status[data-done]', { timeout: 60_000 });
    const status = await page.$eval('#status', (el) => el.textContent ?? '');
    assert.match(status, /^Top class: class \d \(forward pass \d+ ms on (webgpu|webgl|wasm|cpu), 24×24 patches\)\.$/);
    assert.equal(await page.$$eval('#top tbody tr', (rows) => rows.length), 5);
    const size = await page.$eval('#map', (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]);
    assert.deepEqual(size, [24, 24]);
    assert.deepEqual(errors, []);
    if (process.env['DEMO_SCREENSHOT']) await page.screenshot({ path: process.env['DEMO_SCREENSHOT'] });
  });
});
