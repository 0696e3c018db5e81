/**
 * End to end: `npm start`'s server (scripts/serve-demo.ts, on a free port), opened in headless
 * Chromium (Debian's /usr/bin/chromium, the flags of scripts/chromium.mjs). Checks that the demo
 * site explains a clicked test image with the class @bagnet-vis/core predicts for it in Node —
 * heatmap canvas, evidence bars and patch gallery all on that class — and that the dense heatmap,
 * the patch figure, the analyses, a checkpoint dropped on the page (converted in the browser, in a
 * Web Worker, and cancellable), fine-tuning and the backend picker work; that bad files give
 * readable errors and leave the page usable; and that the page logs no errors.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import puppeteer from 'puppeteer-core';
import type { Browser, ElementHandle, Page } from 'puppeteer-core';
import { PNG } from 'pngjs';
import { bagnetArchitecture, outputSide, parseBagNetMetadata, useBackend } from '@bagnet-vis/core';
import { loadBagNetFromDisk } from '@bagnet-vis/core/node';
import { referenceStateDictShapes } from '@bagnet-vis/convert';

import { CHROMIUM_FLAGS, chromiumPath } from '../../scripts/chromium.mjs';
import { seededStateDictZip } from '../bad-inputs/pickle-writer.js';
import { startDemoServer } from '../../scripts/serve-demo.js';
import type { DemoServer } from '../../scripts/serve-demo.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** A test image the default model gets wrong (a coat it calls a dress): true and predicted differ. */
const SAMPLE = 'test-03220-coat.png';
/** The default model's evidence grid on a 28×28 image: cells a side, by core's geometry rule. */
const GRID = outputSide(
  parseBagNetMetadata(
    (
      JSON.parse(readFileSync(join(root, 'packages/models/default/model.json'), 'utf8')) as {
        userDefinedMetadata?: { bagnet?: unknown };
      }
    ).userDefinedMetadata?.bagnet,
    'model.json',
  ).architecture,
  28,
)!;
/** A small BagNet-33 checkpoint in the reference format (random weights, 10 classes): see test/fixtures. */
const CHECKPOINT = join(root, 'test/fixtures/bagnet33_c10_s0_w0.125_b1111/bagnet33_c10_s0_w0.125_b1111.pth.tar');

/** What an explainer's views show, read from their shadow roots. */
interface Shown {
  /** Overlay canvas width, height and number of painted (non-transparent) pixels. */
  readonly overlay: [number, number, number];
  /** The heatmap's text summary (names the class it shows). */
  readonly summary: string;
  /** The class label of the evidence bar's selected row. */
  readonly bar: string;
  /** Heading of the gallery's "most" list and its number of tiles. */
  readonly gallery: string;
  readonly tiles: number;
}

async function shown(page: Page, section: string): Promise<Shown> {
  return page.$eval(`#${section}-explainer`, (explainer) => {
    const heatmap = explainer.querySelector('bagnet-heatmap')!;
    const overlay = heatmap.shadowRoot!.querySelector<HTMLCanvasElement>('canvas[part~="overlay"]')!;
    const pixels = overlay.getContext('2d')!.getImageData(0, 0, overlay.width, overlay.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
    const gallery = explainer.querySelector('patch-gallery')?.shadowRoot;
    return {
      overlay: [overlay.width, overlay.height, painted] as [number, number, number],
      summary: heatmap.summary,
      bar:
        explainer.querySelector('evidence-bar')!.shadowRoot!.querySelector('[part~="row-selected"] [part="label"]')
          ?.textContent ?? '',
      gallery: gallery?.querySelector('[part~="most"] [part="heading"]')?.textContent ?? '',
      tiles: gallery?.querySelectorAll('[part~="most"] [part~="tile"]').length ?? 0,
    };
  });
}

/** Waits until the views of `#section-explainer` have painted the evidence they were given. */
async function waitForViews(page: Page, section: string): Promise<void> {
  await page.waitForSelector(`#${section}-detail[data-state="ready"]`, { timeout: 30_000 });
  await page.waitForFunction(
    (id) => {
      const explainer = document.querySelector(`#${id}-explainer`)!;
      const overlay = explainer
        .querySelector('bagnet-heatmap')
        ?.shadowRoot?.querySelector<HTMLCanvasElement>('canvas[part~="overlay"]');
      if (!overlay || overlay.width === 0) return false;
      const pixels = overlay.getContext('2d')!.getImageData(0, 0, overlay.width, overlay.height).data;
      const gallery = explainer.querySelector('patch-gallery');
      return (
        pixels.some((v, i) => i % 4 === 3 && v > 0) &&
        (!gallery || (gallery.shadowRoot?.querySelectorAll('[part~="tile"] canvas').length ?? 0) > 0) &&
        !!explainer.querySelector('evidence-bar')?.shadowRoot?.querySelector('[part~="row-selected"]')
      );
    },
    { timeout: 30_000, polling: 100 },
    section,
  );
}

/** What this test reads of axe-core's results. */
interface AxeResults {
  violations: { id: string; impact?: string | null; nodes: { target: string[] }[] }[];
}

const text = (page: Page, selector: string) => page.$eval(selector, (el) => el.textContent?.trim() ?? '');

describe('demo site (npm start)', { timeout: 600_000 }, () => {
  let browser: Browser;
  let server: DemoServer;
  let page: Page;
  let profile: string;
  const errors: string[] = [];
  const files = mkdtempSync(join(tmpdir(), 'bagnet-demo-files-'));

  before(async () => {
    server = await startDemoServer(0);
    profile = mkdtempSync(join(tmpdir(), 'bagnet-demo-'));
    browser = await puppeteer.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    page.on('pageerror', (e) => errors.push(`pageerror: ${String(e)}`));
    page.on('console', (m) => m.type() === 'error' && errors.push(`console.error: ${m.text()}`));
    page.on('requestfailed', (r) => {
      // net::ERR_ABORTED: Chromium's report for weight shards read to the end through a stream.
      if (r.failure()?.errorText !== 'net::ERR_ABORTED') errors.push(`request failed: ${r.url()}`);
    });
    page.on('response', (r) => r.status() >= 400 && errors.push(`HTTP ${r.status()}: ${r.url()}`));
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready]', { timeout: 60_000 });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    rmSync(profile, { recursive: true, force: true });
    rmSync(files, { recursive: true, force: true });
  });

  it('starts with the default model explaining a test image, and says which backend runs', async () => {
    assert.equal(
      await page.$eval('body', (b) => (b as HTMLElement).dataset['ready']),
      'true',
      await text(page, '#page-error'),
    );
    assert.match(await text(page, '#backend-status'), /^(WebGPU|WebGL|WASM|CPU) active · forward pass [\d.]+ m?s/);
    await waitForViews(page, 'explore');
    assert.deepEqual((await shown(page, 'explore')).overlay.slice(0, 2), [GRID, GRID]);
    assert.equal(await page.$$eval('#samples .thumb', (b) => b.length), 50);
  });

  it('explains a clicked test image with the class core predicts in Node', async () => {
    await useBackend('cpu');
    const model = await loadBagNetFromDisk(join(root, 'packages/models/default/model.json'));
    const png = PNG.sync.read(readFileSync(join(root, 'packages/models/samples', SAMPLE)));
    const evidence = await model.evidence({ data: png.data, width: png.width, height: png.height, channels: 4 });
    const expected = evidence.topClasses(1)[0]!;
    const label = JSON.parse(readFileSync(join(root, 'packages/models/samples/samples.json'), 'utf8')).samples.find(
      (s: { file: string }) => s.file === SAMPLE,
    ).labelName as string;
    evidence.dispose();
    model.dispose();

    await page.click(`#samples .thumb[data-sample="${SAMPLE}"]`);
    await page.waitForFunction(
      (file) =>
        document.querySelector(`.thumb[data-sample="${file}"]`)?.getAttribute('aria-pressed') === 'true' &&
        document.querySelector('#explore-detail')?.getAttribute('data-state') === 'ready' &&
        document.querySelector('#explore-verdict')?.textContent?.includes('Test image 3220'),
      { timeout: 30_000 },
      SAMPLE,
    );
    await waitForViews(page, 'explore');
    assert.equal(
      await page.$eval('#explore-detail', (d) => (d as HTMLElement).dataset['predicted']),
      String(expected.index),
    );
    assert.equal(await text(page, '#explore-verdict [data-role="predicted"]'), expected.label);
    assert.equal(await text(page, '#explore-verdict [data-role="true"]'), label);
    assert.match(await text(page, '#explore-verdict .mark'), expected.label === label ? /right/ : /wrong/);
    const views = await shown(page, 'explore');
    assert.deepEqual(views.overlay.slice(0, 2), [GRID, GRID]);
    assert.ok(views.overlay[2] > GRID ** 2 / 2, `the heatmap painted only ${views.overlay[2]} of ${GRID ** 2} cells`);
    assert.ok(views.summary.startsWith(`Evidence map for “${expected.label}”`), views.summary);
    assert.equal(views.bar, expected.label);
    assert.equal(views.gallery, `Most evidence for “${expected.label}”`);
    assert.equal(views.tiles, 4);
  });

  it('computes the dense heatmap on request', async () => {
    await page.click('#explore-dense');
    await page.waitForFunction(
      () =>
        document.querySelector<HTMLElementTagNameMap['bagnet-heatmap']>('#explore-explainer bagnet-heatmap')?.denseLevel
          ?.isFinal === true,
      { timeout: 30_000 },
    );
    const [w, h] = await page.$eval('#explore-explainer bagnet-heatmap', (el) => {
      const c = el.shadowRoot!.querySelector<HTMLCanvasElement>('canvas[part~="overlay"]')!;
      return [c.width, c.height] as const;
    });
    assert.ok(w >= 17 && h >= 17, `dense overlay ${w}×${h}: expected one value per pixel`);
    await page.click('#explore-dense');
  });

  it('shows the most informative patches per class over the 50 test images, from their mined file', async () => {
    await page.waitForSelector('#patches[data-state="done"]', { timeout: 60_000 });
    const rows = await page.$$eval('#patches-figure .patch-row', (r) =>
      r.map((row) => [row.querySelector('.class-name')?.textContent, row.querySelectorAll('canvas').length]),
    );
    assert.equal(rows.length, 10);
    for (const [, n] of rows) assert.equal(n, 8);
    assert.match(
      await text(page, '#patches-status'),
      /^50 images, 8 patches per class, mined by `bagnet mine` \(q = 13, /,
    );
    assert.match(await text(page, '#samples-summary'), /gets \d+ of 50 right/);
  });

  it('runs the masking and logit-linearity analyses and plots them', async () => {
    await page.click('#analyses-run');
    await page.waitForSelector('#analyses[data-state="done"], #analyses[data-state="error"]', { timeout: 180_000 });
    assert.equal(
      await page.$eval('#analyses', (s) => (s as HTMLElement).dataset['state']),
      'done',
      await text(page, '#analyses-status'),
    );
    const labels = await page.$$eval('#analyses svg[role="img"]', (s) =>
      s.map((svg) => svg.getAttribute('aria-label')),
    );
    assert.equal(labels.length, 2);
    assert.match(labels[0]!, /Masking plot over 50 test images/);
    assert.match(labels[0]!, /lies below the band at \d of 5 masked shares, -?\d+\.\d\d logits lower on average/);
    assert.match(labels[1]!, /Logit linearity/);
  });

  it('converts a checkpoint in a Web Worker: a cancel stops it, then a dropped checkpoint explains a photograph', async () => {
    await page.waitForSelector('#own-images .thumb[data-key^="photo:"]');
    const input = await page.$('#checkpoint-file');
    // A full-size BagNet-33 (73.5 MB) takes seconds in the worker: cancelled while it converts.
    const big = join(files, 'bagnet33-full.pth');
    writeFileSync(big, seededStateDictZip(referenceStateDictShapes(bagnetArchitecture({ q: 33 }))));
    await (input as ElementHandle<HTMLInputElement>).uploadFile(big);
    await page.waitForSelector('#checkpoint-drop[data-state="converting"] #checkpoint-cancel:not([hidden])');
    await page.click('#checkpoint-cancel');
    await page.waitForSelector('#checkpoint-drop[data-state="cancelled"]', { timeout: 10_000 });
    assert.match(await text(page, '#checkpoint-status'), /^Conversion of bagnet33-full\.pth cancelled\.$/);
    assert.equal(await page.$eval('#checkpoint-cancel', (b) => (b as HTMLElement).hidden), true);
    assert.equal(await page.$eval('#own-error', (e) => (e as HTMLElement).hidden), true);
    rmSync(big);
    // Usable after: the next file converts.
    await (input as ElementHandle<HTMLInputElement>).uploadFile(CHECKPOINT);
    await page.waitForSelector('#checkpoint-drop[data-state="converted"], #checkpoint-drop[data-state="error"]', {
      timeout: 30_000,
    });
    assert.equal(
      await page.$eval('#checkpoint-drop', (d) => (d as HTMLElement).dataset['state']),
      'converted',
      await text(page, '#own-error'),
    );
    assert.match(await text(page, '#checkpoint-status'), /^Converted in .*BagNet-33 \(stride 8\), 10 classes/);
    assert.equal(await page.$eval('#own-model', (s) => (s as HTMLSelectElement).value), 'checkpoint');
    // The drop zone's hint follows the selected model (224×224 colour, not 28×28 grey).
    assert.match(await text(page, '#image-hint'), /scaled to 224×224 px, in colour/);
    await waitForViews(page, 'own');
    assert.match(await text(page, '#own-verdict'), /^Chelsea the cat · Predicted class \d/);
    const views = await shown(page, 'own');
    assert.deepEqual(views.overlay.slice(0, 2), [24, 24]); // 224×224 px, q = 33, stride 8
  });

  it('shows readable errors for files it cannot use and stays usable', async () => {
    // Dropped on the image box (a synthetic drop with a DataTransfer, as a file manager sends it).
    await page.$eval('#image-drop', (zone) => {
      const data = new DataTransfer();
      data.items.add(new File(['not an image'], 'notes.txt', { type: 'text/plain' }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    });
    await page.waitForSelector('#own-error:not([hidden])');
    assert.match(await text(page, '#own-error'), /“notes\.txt” is not an image this browser can decode/);
    // Chosen with the file input.
    const notImage = join(files, 'notes.png');
    writeFileSync(notImage, 'not an image either');
    const imageInput = (await page.$('#image-file')) as ElementHandle<HTMLInputElement>;
    await imageInput.uploadFile(notImage);
    await page.waitForFunction(() => document.querySelector('#own-error')?.textContent?.includes('notes.png'));

    const checkpointInput = (await page.$('#checkpoint-file')) as ElementHandle<HTMLInputElement>;
    await checkpointInput.uploadFile(join(root, 'packages/models/photos/chelsea.png'));
    await page.waitForSelector('#checkpoint-drop[data-state="error"]', { timeout: 30_000 });
    assert.match(await text(page, '#own-error'), /^Could not convert “chelsea\.png”: .+/);
    // The converted model is still there, and a new image still gets explained.
    assert.ok(await page.$('#own-model option[value="checkpoint"]'));
    await page.select('#own-model', 'default');
    await page.click('#own-images .thumb[data-key="photo:coffee.png"]');
    await page.waitForFunction(() => document.querySelector('#own-verdict')?.textContent?.startsWith('Coffee cup'));
    await waitForViews(page, 'own');
    assert.deepEqual((await shown(page, 'own')).overlay.slice(0, 2), [GRID, GRID]); // fitted to 28×28
    assert.equal(await page.$eval('#own-error', (e) => (e as HTMLElement).hidden), true);
  });

  it('fine-tunes the head on regrouped test images and an image of the user', async () => {
    await page.click('#ft-add-samples');
    assert.equal(await page.$$eval('#ft-examples li', (l) => l.length), 50);
    // One of the user's own images, labelled in its menu (fitted to 28×28 grey).
    const files = (await page.$('#ft-files')) as ElementHandle<HTMLInputElement>;
    await files.uploadFile(join(root, 'packages/models/photos/coffee.png'));
    await page.waitForFunction(() => document.querySelectorAll('#ft-examples li').length === 51);
    await page.select('#ft-examples li:last-child select', '2');
    assert.match(await text(page, '#ft-count'), /^51 images: 30 clothing, 15 footwear, 6 bag\.$/);
    await page.click('#ft-train');
    await page.waitForSelector('#fine-tune[data-state="done"], #fine-tune[data-state="error"]', { timeout: 60_000 });
    assert.equal(
      await page.$eval('#fine-tune', (s) => (s as HTMLElement).dataset['state']),
      'done',
      await text(page, '#ft-error'),
    );
    assert.match(await text(page, '#ft-status'), /held-out accuracy \d+ % on 1\d images/);
    await page.waitForSelector('#ft-detail[data-state="ready"]');
    assert.match(await text(page, '#ft-verdict [data-role="predicted"]'), /^(clothing|footwear|bag)$/);
    assert.ok(await page.$('#own-model option[value="fine-tuned"]'));
    // the default and the fine-tuned model on one colour scale, computed once by core
    await page.waitForSelector('#one-scale[data-state="done"], #one-scale[data-state="error"]', { timeout: 60_000 });
    assert.equal(await text(page, '#os-error'), '');
    const domains = await page.$$eval('#os-before, #os-after', (els) =>
      els.map((el) => (el as HTMLElement & { domain?: readonly number[] }).domain),
    );
    assert.equal(domains.length, 2);
    assert.ok(domains[0] && domains[0][1]! > 0, JSON.stringify(domains));
    assert.deepEqual(domains[0], domains[1]);
    assert.match(await text(page, '#os-status'), /One colour scale for both: ±[\d.]+, the 99th percentile/);
    assert.match(await text(page, '#os-after-caption'), /^Fine-tuned head: “(clothing|footwear|bag)”/);
  });

  it('switches backends and reports the forward time on the new one', async () => {
    const target =
      (await page.$eval('#backend-status', (s) => (s as HTMLElement).dataset['backend'])) === 'cpu' ? 'wasm' : 'cpu';
    await page.select('#backend-select', target);
    await page.waitForFunction(
      (b) => {
        const status = document.querySelector<HTMLElement>('#backend-status')!;
        return status.dataset['backend'] === b && /forward pass/.test(status.textContent ?? '');
      },
      { timeout: 30_000 },
      target,
    );
    await page.waitForSelector('#explore-detail[data-state="ready"]');
    assert.match(await text(page, '#explore-timing'), new RegExp(`on ${target === 'cpu' ? 'CPU' : 'WASM'}`));
  });

  it('links to the docs site, or says how to build it', async () => {
    const built = existsSync(join(root, 'docs/storybook-static/index.html'));
    const docs = await fetch(new URL('docs/', server.url));
    assert.equal(docs.status, built ? 200 : 404);
    if (!built) assert.match(await docs.text(), /npm run docs/);
    assert.equal(await page.$eval('#docs-hint', (e) => (e as HTMLElement).hidden), built);
  });

  it('has no serious accessibility violations (axe)', async () => {
    await page.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(context: Document): Promise<AxeResults> } }).axe;
      const results = await axe.run(document);
      return results.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
    assert.deepEqual(violations, []);
  });

  it('logs no errors', () => {
    assert.deepEqual(errors, []);
  });
});
