/**
 * Screenshots of the demo site for the README: `node --conditions=source --import tsx
 * scripts/screenshots.ts` starts the demo server, drives each section in headless Chromium (the
 * flags of scripts/chromium.mjs) and writes docs/screenshots/demo-*.png. Run it after changing the
 * page and commit the PNGs.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';

import { PNG } from 'pngjs';
import puppeteer from 'puppeteer-core';
import type { ElementHandle, Page } from 'puppeteer-core';

import { CHROMIUM_FLAGS, chromiumPath } from './chromium.mjs';
import { startDemoServer } from './serve-demo.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(root, 'docs', 'screenshots');
const CHECKPOINT = join(root, 'test/fixtures/bagnet33_c10_s0_w0.125_b1111/bagnet33_c10_s0_w0.125_b1111.pth.tar');
const TIMEOUT = 90_000;

/**
 * The screenshot as an 8-bit palette PNG (256 colours, median cut over a 15-bit histogram, no
 * dithering): a third of the size of the RGB one for these pages, and no visible change to the UI.
 */
function toPalettePng(path: string): void {
  const { width, height, data } = PNG.sync.read(readFileSync(path));
  const bin = (i: number) => ((data[i]! >> 3) << 10) | ((data[i + 1]! >> 3) << 5) | (data[i + 2]! >> 3);
  const count = new Float64Array(1 << 15);
  const sums = new Float64Array(3 << 15);
  for (let i = 0; i < data.length; i += 4) {
    const b = bin(i);
    count[b]!++;
    for (let c = 0; c < 3; c++) sums[b * 3 + c]! += data[i + c]!;
  }
  // Median cut: split the box with the most pixels × widest channel range until there are 256.
  type Box = number[];
  const used: Box = [];
  count.forEach((n, b) => n > 0 && used.push(b));
  const channel = (b: number, c: number) => (b >> (10 - 5 * c)) & 31;
  const range = (box: Box, c: number) =>
    Math.max(...box.map((b) => channel(b, c))) - Math.min(...box.map((b) => channel(b, c)));
  const weight = (box: Box) => box.reduce((a, b) => a + count[b]!, 0);
  let boxes: Box[] = [used];
  while (boxes.length < 256) {
    const scored = boxes.map((box) => ({ box, c: [0, 1, 2].sort((x, y) => range(box, y) - range(box, x))[0]! }));
    const best = scored
      .filter(({ box }) => box.length > 1)
      .sort((a, b) => weight(b.box) * range(b.box, b.c) - weight(a.box) * range(a.box, a.c))[0];
    if (best === undefined) break;
    const sorted = [...best.box].sort((a, b) => channel(a, best.c) - channel(b, best.c));
    const half = weight(sorted) / 2;
    let acc = 0;
    let cut = 1;
    for (; cut < sorted.length - 1; cut++) if ((acc += count[sorted[cut - 1]!]!) >= half) break;
    boxes = [...boxes.filter((b) => b !== best.box), sorted.slice(0, cut), sorted.slice(cut)];
  }
  const palette = boxes.map((box) => {
    const n = weight(box);
    return [0, 1, 2].map((c) => Math.round(box.reduce((a, b) => a + sums[b * 3 + c]!, 0) / n));
  });
  const nearest = new Uint8Array(1 << 15);
  for (const b of used) {
    const rgb = [0, 1, 2].map((c) => sums[b * 3 + c]! / count[b]!);
    let best = 0;
    let bestD = Infinity;
    palette.forEach((p, k) => {
      const d = (p[0]! - rgb[0]!) ** 2 + (p[1]! - rgb[1]!) ** 2 + (p[2]! - rgb[2]!) ** 2;
      if (d < bestD) [best, bestD] = [k, d];
    });
    nearest[b] = best;
  }
  const rows = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rows[y * (width + 1) + 1 + x] = nearest[bin((y * width + x) * 4)]!;
  }
  const chunk = (type: string, body: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    const typed = Buffer.concat([Buffer.from(type, 'latin1'), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([head, typed, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 3, 0, 0, 0], 8); // 8-bit palette indices, no interlace
  writeFileSync(
    path,
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('PLTE', Buffer.from(palette.flat())),
      chunk('IDAT', deflateSync(rows, { level: 9 })),
      chunk('IEND', Buffer.alloc(0)),
    ]),
  );
}

/** Writes the screenshot as a palette PNG and reports its size. */
function finish(path: string): void {
  toPalettePng(path);
  console.log(`${path}: ${(statSync(path).size / 1024).toFixed(0)} kB`);
}

async function shoot(page: Page, selector: string, name: string): Promise<void> {
  const element = await page.$(selector);
  if (element === null) throw new Error(`No ${selector} on the page.`);
  const path = join(OUT, `${name}.png`) as `${string}.png`;
  await page.mouse.move(0, 0); // no hover highlights
  await element.screenshot({ path });
  finish(path);
}

/** Waits until the heatmap in `#section-explainer` has painted. */
async function painted(page: Page, section: string): Promise<void> {
  await page.waitForSelector(`#${section}-detail[data-state="ready"]`, { timeout: TIMEOUT });
  await page.waitForFunction(
    (id) => {
      const overlay = document
        .querySelector(`#${id}-explainer bagnet-heatmap`)
        ?.shadowRoot?.querySelector<HTMLCanvasElement>('canvas[part~="overlay"]');
      return !!overlay && overlay.width > 0;
    },
    { timeout: TIMEOUT },
    section,
  );
  await new Promise((resolve) => setTimeout(resolve, 300)); // the gallery's crops, a task later
}

const profile = mkdtempSync(join(tmpdir(), 'bagnet-screenshots-'));
const server = await startDemoServer(0);
const browser = await puppeteer.launch({
  executablePath: chromiumPath(),
  headless: true,
  args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`],
});
try {
  mkdirSync(OUT, { recursive: true });
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  page.on('pageerror', (e) => console.error(`page error: ${String(e)}`));
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: TIMEOUT });
  // Element screenshots scroll; the sticky section bar would cover their top edge.
  await page.addStyleTag({ content: '.sections { position: static; }' });
  await page.waitForSelector('#patches[data-state="done"]', { timeout: TIMEOUT });

  // Explore: a coat the model calls a dress (true vs predicted), cell map.
  await page.click('#samples .thumb[data-sample="test-03220-coat.png"]');
  await page.waitForFunction(() => document.querySelector('#explore-verdict')?.textContent?.includes('3220'));
  await painted(page, 'explore');
  await page.evaluate(() => window.scrollTo(0, 0));
  const explore = await page.$eval('#explore', (s) => s.getBoundingClientRect().bottom + window.scrollY);
  const path = join(OUT, 'demo-explore.png') as `${string}.png`;
  await page.screenshot({ path, clip: { x: 0, y: 0, width: 1200, height: Math.ceil(explore) } });
  finish(path);

  // The dense (per-pixel) heatmap of an ankle boot.
  await page.click('#samples .thumb[data-sample="test-01982-ankle-boot.png"]');
  await page.waitForFunction(() => document.querySelector('#explore-verdict')?.textContent?.includes('1982'));
  await page.click('#explore-dense');
  await page.waitForFunction(
    () =>
      document.querySelector<HTMLElementTagNameMap['bagnet-heatmap']>('#explore-explainer bagnet-heatmap')?.denseLevel
        ?.isFinal === true,
    { timeout: TIMEOUT },
  );
  await shoot(page, '#explore-detail', 'demo-dense');
  await page.click('#explore-dense');

  await shoot(page, '#patches', 'demo-patches');

  await page.click('#analyses-run');
  await page.waitForSelector('#analyses[data-state="done"]', { timeout: TIMEOUT });
  await shoot(page, '#analyses', 'demo-analyses');

  // A checkpoint dropped on the page: the small BagNet-33 test fixture (random weights).
  await page.waitForSelector('#own-images .thumb[data-key="photo:chelsea.png"]');
  const checkpoint = (await page.$('#checkpoint-file')) as ElementHandle<HTMLInputElement>;
  await checkpoint.uploadFile(CHECKPOINT);
  await page.waitForSelector('#checkpoint-drop[data-state="converted"]', { timeout: TIMEOUT });
  await painted(page, 'own');
  await shoot(page, '#own', 'demo-checkpoint');

  await page.click('#ft-add-samples');
  await page.click('#ft-train');
  await page.waitForSelector('#fine-tune[data-state="done"]', { timeout: TIMEOUT });
  await painted(page, 'ft');
  await shoot(page, '#fine-tune', 'demo-fine-tune');
} finally {
  await browser.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
