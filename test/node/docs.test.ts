/**
 * The docs site (npm run docs): builds it once into a temporary folder (`docs/build.mjs --out`:
 * nothing is written inside the repository), serves it from a static server
 * and opens every story of its index.json in headless Chromium — each element story and each docs
 * page — waiting until Storybook reports the story finished (its play function, which waits for
 * the element's data or its inline error, included). A story passes with no console error, no
 * page error, no failed request and no Storybook error; stories tagged `expect-404` may log the
 * browser's "Failed to load resource" for the 404 they show. Also: each element's Reference page
 * (Storybook autodocs) shows every attribute (with a control), property, event, CSS part, custom
 * property and method of custom-elements.json; the manager UI loads; every link of the API page
 * resolves. `BAGNET_SCREENSHOTS=1` writes docs/screenshots/docs-site.png.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import puppeteer from 'puppeteer-core';
import type { Browser, Page } from 'puppeteer-core';

import { CHROMIUM_FLAGS, chromiumPath } from '../../scripts/chromium.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'bagnet-docs-site-'));
const site = join(scratch, 'storybook-static');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
};

/** Serves `dir` on a free port (404 for anything missing). */
async function serve(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    void (async () => {
      let path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      if (path.endsWith('/')) path += 'index.html';
      const file = normalize(join(dir, path));
      try {
        if (!file.startsWith(dir)) throw new Error('outside');
        const body = await readFile(file);
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
        res.end(body);
      } catch {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end(`Not found: ${path}`);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/` };
}

interface IndexEntry {
  readonly type: 'story' | 'docs';
  readonly id: string;
  readonly title: string;
  readonly name: string;
  readonly tags?: readonly string[];
}

/** The parts of packages/elements/custom-elements.json that the Reference pages must show. */
interface ElementsManifest {
  readonly modules: readonly {
    readonly declarations?: readonly {
      readonly tagName?: string;
      readonly summary?: string;
      readonly attributes?: readonly { readonly name: string; readonly fieldName?: string }[];
      readonly members?: readonly {
        readonly kind: string;
        readonly name: string;
        readonly static?: boolean;
        readonly privacy?: string;
      }[];
      readonly events?: readonly { readonly name: string }[];
      readonly cssParts?: readonly { readonly name: string }[];
      readonly cssProperties?: readonly { readonly name: string }[];
    }[];
  }[];
}

/** What a story page reported (window.__docsTest, filled from Storybook's channel). */
interface StoryReport {
  readonly done: boolean;
  readonly status?: string;
  readonly errors: readonly string[];
}

/**
 * Runs before the page's scripts: catches Storybook's channel as the preview creates it and records
 * when the story finished and the errors it reported. A string, not a function: tsx would add its
 * `__name` helper to a function's source, which the page does not have.
 */
const WATCH_STORYBOOK_CHANNEL = `(() => {
  const report = { done: false, status: undefined, errors: [] };
  window.__docsTest = report;
  let channel;
  Object.defineProperty(window, '__STORYBOOK_ADDONS_CHANNEL__', {
    configurable: true,
    get: () => channel,
    set(value) {
      channel = value;
      value.on('storyFinished', (payload) => {
        report.status = payload && payload.status;
        report.done = true;
      });
      for (const event of ['storyErrored', 'storyThrewException', 'playFunctionThrewException', 'storyMissing',
        'unhandledErrorsWhilePlaying']) {
        value.on(event, (payload) => {
          const message = payload && typeof payload === 'object' && 'message' in payload ? payload.message : payload;
          const text = typeof message === 'string' ? message : String(JSON.stringify(message));
          // testing-library appends a dump of the whole DOM to its assertion messages: keep the message.
          report.errors.push(event + ': ' + text.split('Ignored nodes')[0].trim().slice(0, 1000));
        });
      }
    },
  });
})();`;

/** Console errors, page errors and failed requests of `page`, from now on. */
function collectProblems(page: Page): { console: string[]; requests: string[] } {
  const problems = { console: [] as string[], requests: [] as string[] };
  page.on('pageerror', (e) => problems.console.push(`page error: ${String(e)}`));
  // The browser asks for /favicon.ico on its own (Storybook's pages name an SVG icon, or none).
  const favicon = (u: string | undefined) => u !== undefined && new URL(u, 'http://x').pathname === '/favicon.ico';
  page.on('console', (m) => {
    if (m.type() === 'error' && !favicon(m.location().url)) problems.console.push(`console.error: ${m.text()}`);
  });
  page.on('requestfailed', (r) => {
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.requests.push(`${r.url()} (${r.failure()?.errorText})`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !favicon(r.url())) problems.requests.push(`${r.url()} (HTTP ${r.status()})`);
  });
  return problems;
}

describe('docs site (npm run docs)', () => {
  let browser: Browser;
  let server: Server;
  let url: string;
  let profile: string;
  let entries: IndexEntry[];

  before(async () => {
    const t0 = Date.now();
    const build = spawnSync(process.execPath, [join(root, 'docs', 'build.mjs'), '--quiet', '--out', site], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(build.status, 0, `docs build failed:\n${build.stdout}\n${build.stderr}`);
    console.log(`# docs built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const index = JSON.parse(readFileSync(join(site, 'index.json'), 'utf8')) as { entries: Record<string, IndexEntry> };
    entries = Object.values(index.entries);
    ({ server, url } = await serve(site));
    profile = mkdtempSync(join(tmpdir(), 'bagnet-docs-'));
    browser = await puppeteer.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`],
    });
  });

  after(async () => {
    await browser?.close();
    server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('has a story per element and state, and the docs pages', () => {
    const titles = new Set(entries.map((e) => e.title));
    for (const title of [
      'Docs/Getting started',
      'Docs/The science',
      'Docs/API',
      'Elements/bagnet-heatmap',
      'Elements/patch-gallery',
      'Elements/evidence-bar',
      'Elements/bagnet-explainer',
      'Elements/patch-certificate',
    ]) {
      assert.ok(titles.has(title), `no stories titled ${title}`);
    }
    for (const element of [
      'bagnet-heatmap',
      'patch-gallery',
      'evidence-bar',
      'bagnet-explainer',
      'patch-certificate',
    ]) {
      const names = entries.filter((e) => e.title === `Elements/${element}`).map((e) => e.name);
      const reference = entries.find((e) => e.title === `Elements/${element}` && e.name === 'Reference');
      assert.ok(
        reference?.type === 'docs' && reference.tags?.includes('autodocs'),
        `${element} has no Reference page (autodocs)`,
      );
      assert.ok(
        names.some((n) => n.startsWith('Error')),
        `${element} has no error story`,
      );
    }
    const heatmap = entries.filter((e) => e.title === 'Elements/bagnet-heatmap').map((e) => e.name);
    for (const state of ['Loading', 'Dense map, progressive'])
      assert.ok(heatmap.includes(state), `no heatmap story ${state}`);
  });

  it('opens every story with no console errors', async () => {
    const failures: string[] = [];
    const page = await browser.newPage();
    await page.evaluateOnNewDocument(WATCH_STORYBOOK_CHANNEL);
    await page.setViewport({ width: 1000, height: 800 });
    const problems = collectProblems(page);
    for (const entry of entries.filter((e) => e.type === 'story')) {
      problems.console.length = 0;
      problems.requests.length = 0;
      const t0 = Date.now();
      await page.goto(`${url}iframe.html?id=${entry.id}&viewMode=story`);
      try {
        await page.waitForFunction('window.__docsTest?.done === true', { timeout: 60_000, polling: 50 });
      } catch {
        failures.push(`${entry.id}: did not finish within 60 s`);
      }
      const report = (await page.evaluate('window.__docsTest')) as StoryReport | undefined;
      const rendered = await page.$eval('#storybook-root', (r) => r.children.length > 0).catch(() => false);
      const expect404 = entry.tags?.includes('expect-404') ?? false;
      const consoleErrors = problems.console.filter(
        (m) => !(expect404 && /Failed to load resource: the server responded with a status of 404/.test(m)),
      );
      const requests = problems.requests.filter((r) => !(expect404 && /HTTP 404/.test(r)));
      const what = [
        report?.status !== 'success' ? `status ${report?.status ?? 'none'}` : '',
        rendered ? '' : 'nothing rendered',
        ...(report?.errors ?? []),
        ...consoleErrors,
        ...requests.map((r) => `request failed: ${r}`),
        expect404 && !problems.requests.some((r) => /HTTP 404/.test(r)) ? 'expected a 404 and saw none' : '',
      ].filter(Boolean);
      if (what.length > 0) failures.push(`${entry.id}:\n    ${what.join('\n    ')}`);
      if (process.env['DOCS_TEST_VERBOSE']) console.log(`# ${entry.id} ${Date.now() - t0} ms`);
    }
    await page.close();
    assert.deepEqual(failures, []);
  });

  it("each element's Reference page (autodocs) lists its whole manifest API, with controls", async () => {
    const manifest = JSON.parse(
      readFileSync(join(root, 'packages', 'elements', 'custom-elements.json'), 'utf8'),
    ) as ElementsManifest;
    const declarations = manifest.modules.flatMap((m) => m.declarations ?? []).filter((d) => d.tagName);
    assert.equal(declarations.length, 5);
    const page = await browser.newPage();
    await page.setViewport({ width: 1000, height: 800 });
    const problems = collectProblems(page);
    const failures: string[] = [];
    for (const d of declarations) {
      const entry = entries.find((e) => e.type === 'docs' && e.title === `Elements/${d.tagName}`);
      assert.ok(entry, `no docs entry for <${d.tagName}>`);
      await page.goto(`${url}iframe.html?id=${entry.id}&viewMode=docs`);
      await page.waitForSelector('.docblock-argstable-body tr', { timeout: 60_000 });
      const shown = await page.$eval('#storybook-docs', (root) => ({
        title: root.querySelector('h1')?.textContent ?? '',
        // Rows under their category: a category's header row is titled "Hide <category> items".
        rows: [...root.querySelectorAll('.docblock-argstable-body tr')].map((tr) => ({
          header: /^(?:Hide|Show) (.+?) items$/.exec(tr.getAttribute('title') ?? '')?.[1] ?? null,
          name: tr.querySelector('td')?.textContent?.trim() ?? '',
          // a control, or its "Set number" / "Set string" button while the arg is unset
          control: tr.querySelector('td:last-child :is(input, select, textarea, button)') !== null,
        })),
        text: root.textContent ?? '',
      }));
      const rows = new Map<string, boolean>(); // "category/name" → has a control
      let category = '';
      for (const r of shown.rows) {
        if (r.header !== null) category = r.header;
        else rows.set(`${category}/${r.name}`, r.control);
      }
      const missing = (what: string, names: readonly string[]) =>
        names.filter((n) => !rows.has(`${what}/${n}`)).map((n) => `<${d.tagName}>: ${what} ${n} is not in the table`);
      const attributeFields = new Set((d.attributes ?? []).map((a) => a.fieldName ?? a.name));
      failures.push(
        ...missing(
          'attributes',
          (d.attributes ?? []).map((a) => a.name),
        ),
        ...missing(
          'properties',
          (d.members ?? [])
            .filter((m) => m.kind === 'field' && !m.static && m.privacy === undefined && !attributeFields.has(m.name))
            .map((m) => m.name),
        ),
        ...missing(
          'events',
          (d.events ?? []).map((e) => e.name),
        ),
        ...missing(
          'css shadow parts',
          (d.cssParts ?? []).map((p) => p.name),
        ),
        ...missing(
          'css custom properties',
          (d.cssProperties ?? []).map((p) => p.name),
        ),
      );
      // every attribute has a live control
      for (const a of d.attributes ?? []) {
        if (rows.get(`attributes/${a.name}`) === false) failures.push(`<${d.tagName}>: no control for ${a.name}`);
      }
      if (!shown.title.includes(d.tagName!)) failures.push(`<${d.tagName}>: title '${shown.title}'`);
      if (d.summary && !shown.text.includes(d.summary.slice(0, 40))) failures.push(`<${d.tagName}>: no summary`);
      for (const m of (d.members ?? []).filter((m) => m.kind === 'method' && !m.static && m.privacy === undefined)) {
        if (!shown.text.includes(`${m.name}()`)) failures.push(`<${d.tagName}>: method ${m.name}() not listed`);
      }
    }
    await page.close();
    assert.deepEqual(failures, []);
    assert.deepEqual([...problems.console, ...problems.requests], []);
  });

  it('loads the manager UI with the stories in its sidebar', async () => {
    const page = await browser.newPage();
    const problems = collectProblems(page);
    await page.goto(url);
    await page.waitForSelector('#storybook-explorer-menu', { timeout: 60_000 });
    const sidebar = await page.$eval('#storybook-explorer-menu', (el) => el.textContent ?? '');
    assert.match(sidebar, /Getting started/);
    assert.match(sidebar, /bagnet-heatmap/);
    if (process.env['BAGNET_SCREENSHOTS']) {
      // The manager UI showing the linked explainer story: docs/screenshots/docs-site.png.
      await page.setViewport({ width: 1280, height: 800 });
      await page.evaluateOnNewDocument(WATCH_STORYBOOK_CHANNEL);
      await page.goto(`${url}?path=/story/elements-bagnet-explainer--default-views`);
      const iframe = await page.waitForSelector('#storybook-preview-iframe', { timeout: 60_000 });
      const frame = await iframe?.contentFrame();
      assert.ok(frame, 'no story iframe in the manager UI');
      await frame.waitForFunction('window.__docsTest?.done === true', { timeout: 60_000, polling: 50 });
      await new Promise((r) => setTimeout(r, 500));
      await page.screenshot({ path: join(root, 'docs/screenshots/docs-site.png') });
    }
    await page.close();
    assert.deepEqual([...problems.console, ...problems.requests], []);
  });

  it('links every package API page, and each resolves', async () => {
    const page = await browser.newPage();
    const api = entries.find((e) => e.title === 'Docs/API');
    assert.ok(api, 'no Docs/API story');
    await page.goto(`${url}iframe.html?id=${api.id}&viewMode=story`);
    await page.waitForSelector('#storybook-root a[href*="api/"]', { timeout: 60_000 });
    const links = await page.$$eval('#storybook-root a[href*="api/"]', (as) =>
      as.map((a) => (a as HTMLAnchorElement).href),
    );
    await page.close();
    for (const pkg of ['core', 'elements', 'tfjs-vis', 'models', 'convert', 'cli']) {
      assert.ok(
        links.some((l) => l.endsWith(`_bagnet-vis_${pkg}.html`)),
        `the API page does not link @bagnet-vis/${pkg}`,
      );
    }
    for (const link of links) {
      const res = await fetch(link);
      assert.equal(res.status, 200, `${link} answers ${res.status}`);
      assert.match(await res.text(), /<title>/);
    }
  });
});
