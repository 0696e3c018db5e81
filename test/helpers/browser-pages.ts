/**
 * Headless Chromium for page-level tests (puppeteer-core): launch with WebGL on SwiftShader, open a
 * page while recording its errors, and wait until the elements have drawn.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import puppeteer from 'puppeteer-core';
import type { Browser, Page } from 'puppeteer-core';

import { CHROMIUM_FLAGS, chromiumPath, SWIFTSHADER_FLAGS } from '../../scripts/chromium.mjs';

/** A browser with its own throwaway profile; `close()` removes the profile too. */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'bagnet-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [...CHROMIUM_FLAGS, ...SWIFTSHADER_FLAGS, `--user-data-dir=${profile}`],
  });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A page and what it reported: uncaught errors, console errors and warnings, failed requests. */
export interface OpenedPage {
  readonly page: Page;
  readonly errors: string[];
  readonly warnings: string[];
}

/** Opens `url` (1000×700) and records its errors and warnings from the start. */
export async function openPage(browser: Browser, url: string): Promise<OpenedPage> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1000, height: 700 });
  const errors: string[] = [];
  const warnings: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${String(e)}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()} (${m.location().url ?? ''})`);
    if (m.type() === 'warn') warnings.push(m.text());
  });
  // net::ERR_ABORTED is left out: Chromium reports it for some responses read to the end through
  // `response.body.getReader()` (core reads weight shards so); real failures are HTTP errors,
  // which show as console errors, or other network errors.
  page.on('requestfailed', (r) => {
    const reason = r.failure()?.errorText ?? '';
    if (reason !== 'net::ERR_ABORTED') errors.push(`request failed: ${r.url()} ${reason}`);
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, errors, warnings };
}

/** What a page shows once the views are drawn. */
export interface Painted {
  /** Overlay canvas width and height (cells) and how many of its pixels are not transparent. */
  readonly overlay: [number, number, number];
  /** Canvases in the first `<patch-gallery>`, or 0 when there is none. */
  readonly tiles: number;
  /** Length of the text of the first `<evidence-bar>`, or 0 when there is none. */
  readonly bars: number;
  /** Which of the four tags are defined. */
  readonly tags: string[];
}

/**
 * Waits until the `<bagnet-heatmap>` matched by `selector` has painted its overlay (and, when the
 * page has them, the gallery has tiles and the bars have text).
 */
export async function waitForPaint(page: Page, selector = 'bagnet-heatmap', timeout = 60_000): Promise<Painted> {
  await page.waitForFunction(
    (sel) => {
      const overlay = document
        .querySelector(sel)
        ?.shadowRoot?.querySelector<HTMLCanvasElement>('canvas[part~="overlay"]');
      if (!overlay || overlay.width === 0 || overlay.height === 0) return false;
      const pixels = overlay.getContext('2d')!.getImageData(0, 0, overlay.width, overlay.height).data;
      return pixels.some((v, i) => i % 4 === 3 && v > 0);
    },
    { timeout, polling: 100 },
    selector,
  );
  // The gallery and the bars render from the same model run, on their next update.
  await page.waitForFunction(
    () => {
      const gallery = document.querySelector('patch-gallery');
      const bars = document.querySelector('evidence-bar');
      return (
        (!gallery || (gallery.shadowRoot?.querySelectorAll('canvas').length ?? 0) > 0) &&
        (!bars || (bars.shadowRoot?.textContent ?? '').trim().length > 0)
      );
    },
    { timeout: 30_000, polling: 100 },
  );
  return page.evaluate((sel) => {
    const overlay = document
      .querySelector(sel)!
      .shadowRoot!.querySelector<HTMLCanvasElement>('canvas[part~="overlay"]')!;
    const pixels = overlay.getContext('2d')!.getImageData(0, 0, overlay.width, overlay.height).data;
    let opaque = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) opaque++;
    return {
      overlay: [overlay.width, overlay.height, opaque] as [number, number, number],
      tiles: document.querySelector('patch-gallery')?.shadowRoot?.querySelectorAll('canvas').length ?? 0,
      bars: (document.querySelector('evidence-bar')?.shadowRoot?.textContent ?? '').trim().length,
      tags: ['bagnet-explainer', 'bagnet-heatmap', 'patch-gallery', 'evidence-bar'].filter(
        (t) => customElements.get(t) !== undefined,
      ),
    };
  }, selector);
}
