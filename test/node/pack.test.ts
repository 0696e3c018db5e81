/**
 * Publish-ready: every public package as npm would publish it. Builds (scripts/build-bundles.mjs),
 * runs `npm pack` on each package, installs the tarballs into a scratch project outside the
 * monorepo (os.tmpdir(); third-party packages from the registry or npm's cache) and uses them
 * there: Node imports core, convert, models, cli (and the browser packages, which must import
 * without a DOM) and runs the installed `bagnet` command; headless Chromium loads elements and
 * tfjs-vis from the scratch node_modules three ways — unbundled dist/ through an import map
 * resolved from the installed tree (what a bundler sees), the cdn/ ESM bundles, and the UMD
 * bundle the `unpkg` field names. A file missing from `files`, a wrong `exports` entry or a
 * dependency declared in the wrong place fails here. Also: `lerna version --conventional-commits`
 * in a dry run (a throwaway clone; this tree is left as it is).
 *
 * Skipped, saying so, when the npm registry cannot be reached and npm's cache does not hold what
 * the install needs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestContext } from 'node:test';

import { build } from 'esbuild';
import type { Metafile, Plugin } from 'esbuild';
import type { Browser } from 'puppeteer-core';

import { buildPackages, ROOT } from '../../scripts/build-bundles.mjs';
import { versionDryRun } from '../../scripts/build-version-dry-run.mjs';
import { versionModule } from '../../scripts/package-version.mjs';
import { launchChromium, openPage, waitForPaint } from '../helpers/browser-pages.js';
import { serveStatic } from '../helpers/static-server.js';
import type { StaticServer } from '../helpers/static-server.js';

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  main?: string;
  types?: string;
  unpkg?: string;
  jsdelivr?: string;
  customElements?: string;
  bin?: string | Record<string, string>;
  exports?: unknown;
  sideEffects?: boolean | string[];
  files?: string[];
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies?: Record<string, string>;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const ROOT_MANIFEST = readJson<Manifest>(join(ROOT, 'package.json'));
const PACKAGES = ['core', 'convert', 'cli', 'elements', 'models', 'tfjs-vis']
  .filter((dir) => existsSync(join(ROOT, 'packages', dir, 'src', 'index.ts')))
  .map((dir) => ({ dir, manifest: readJson<Manifest>(join(ROOT, 'packages', dir, 'package.json')) }))
  .filter((p) => p.manifest.private !== true);
/** The installed range of a tfjs package in this repository, for the scratch project. */
const tfRange = (name: string) => ROOT_MANIFEST.devDependencies?.[name] ?? 'latest';
const TF_ESM: Record<string, string> = {
  '@tensorflow/tfjs-core': 'dist/tf-core.fesm.min.js',
  '@tensorflow/tfjs-layers': 'dist/tf-layers.fesm.min.js',
  '@tensorflow/tfjs-backend-webgl': 'dist/tf-backend-webgl.fesm.min.js',
};
const TF_UMD = [
  'tfjs-core/dist/tf-core.min.js',
  'tfjs-layers/dist/tf-layers.min.js',
  'tfjs-backend-webgl/dist/tf-backend-webgl.min.js',
];
/** Signs of an unreachable registry in npm's output. */
const OFFLINE =
  /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ENOTCACHED|request to \S+ failed/;

/** The environment for npm in the scratch project: without an outer `npm test`'s npm_* settings. */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = /^npm_config_(registry|cache|userconfig|globalconfig|proxy|https_proxy|noproxy|strict_ssl|cafile|ca)$/i;
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || keep.test(k)));
}

function run(cmd: string, args: string[], cwd: string, timeout = 120_000) {
  const r = spawnSync(cmd, args, { cwd, env: npmEnv(), encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, stdout: r.stdout ?? '' };
}

/** Every path a manifest points at (files, exports targets, bin, cdn and manifest fields). */
function manifestTargets(m: Manifest): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(m.exports);
  walk(m.bin);
  for (const field of [m.main, m.types, m.unpkg, m.jsdelivr, m.customElements]) if (field) out.push(field);
  if (Array.isArray(m.sideEffects)) out.push(...m.sideEffects);
  return [...new Set(out.map((p) => p.replace(/^\.\//, '')))];
}

/** The package a bare import specifier names, or undefined for relative, absolute and built-in ones. */
function packageOf(specifier: string): string | undefined {
  if (/^(\.|\/|node:|data:|https?:)/.test(specifier)) return undefined;
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
  return builtinModules.includes(name) ? undefined : name;
}

/** Bare packages imported (statically or dynamically) by an ES module's source text. */
function importedPackages(code: string): string[] {
  const specs = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']/g)].map((m) => m[1]!);
  return [...new Set(specs.map(packageOf).filter((n): n is string => n !== undefined))];
}

/** The page script shared by the two import-map pages: the same code a bundler user writes. */
const MODULE_PAGE_SCRIPT = `
  import '@tensorflow/tfjs-backend-webgl';
  import '@bagnet-vis/elements/define.js';
  import { loadBagNet } from '@bagnet-vis/core';
  import { readTorchCheckpoint } from '@bagnet-vis/convert';
  import { defaultModelUrl, sampleImages } from '@bagnet-vis/models';
  import { render } from '@bagnet-vis/tfjs-vis';
  try {
    const heatmap = document.createElement('bagnet-heatmap');
    heatmap.setAttribute('model-src', defaultModelUrl.href);
    heatmap.setAttribute('src', sampleImages[0].url.href);
    document.body.append(heatmap);
    const image = new Image();
    image.src = sampleImages[1].url.href;
    await image.decode();
    const evidence = await (await loadBagNet(defaultModelUrl.href)).evidence(image);
    const box = Object.assign(document.createElement('div'), { id: 'vis' });
    document.body.append(box);
    const mounted = await render.heatmap(box, evidence, { image });
    window.result = { convert: typeof readTorchCheckpoint, mounted: mounted.localName, inBox: box.contains(mounted) };
  } catch (e) {
    window.failure = String(e && e.stack || e);
  }`;

function modulePage(importMap: unknown): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>pack check</title><link rel="icon" href="data:,">
<script type="importmap">${JSON.stringify(importMap)}</script>
<script type="module">${MODULE_PAGE_SCRIPT}</script></head><body></body></html>`;
}

function umdPage(bundle: string): string {
  const m = '/node_modules/@bagnet-vis/models';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>pack check (UMD)</title><link rel="icon" href="data:,">
${TF_UMD.map((f) => `<script src="/node_modules/@tensorflow/${f}"></script>`).join('\n')}
<script src="${bundle}"></script></head><body><script>
(async () => {
  try {
    const heatmap = document.createElement('bagnet-heatmap');
    heatmap.setAttribute('model-src', '${m}/default/model.json');
    heatmap.setAttribute('src', '${m}/samples/test-00034-bag.png');
    document.body.append(heatmap);
    const image = new Image();
    image.src = '${m}/samples/test-00041-trouser.png';
    await image.decode();
    const evidence = await (await bagnetVis.loadBagNet('${m}/default/model.json')).evidence(image);
    const box = Object.assign(document.createElement('div'), { id: 'vis' });
    document.body.append(box);
    const mounted = bagnetVis.render ? await bagnetVis.render.heatmap(box, evidence, { image }) : box.appendChild(document.createElement('span'));
    window.result = { convert: typeof bagnetVis.readTorchCheckpoint, mounted: mounted.localName, inBox: box.contains(mounted) };
  } catch (e) {
    window.failure = String(e && e.stack || e);
  }
})();
</script></body></html>`;
}

describe('publish-ready packages: npm pack, install in a scratch project, use there', () => {
  let scratch = '';
  let skip: string | undefined;
  const packed = new Map<string, { file: string; files: Set<string> }>();
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  let closeBrowser: (() => Promise<void>) | undefined;
  const installed = (name: string) => join(scratch, 'node_modules', ...name.split('/'));

  before(async () => {
    buildPackages();
    scratch = mkdtempSync(join(realpathSync(tmpdir()), 'bagnet-pack-'));
    const tarballs = join(scratch, 'tarballs');
    mkdirSync(tarballs);
    for (const { dir, manifest } of PACKAGES) {
      const r = run('npm', ['pack', '--json', '--pack-destination', tarballs], join(ROOT, 'packages', dir));
      assert.equal(r.status, 0, `npm pack ${manifest.name}:\n${r.out}`);
      const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as {
        filename: string;
        files: { path: string }[];
      }[];
      packed.set(manifest.name, {
        file: join(tarballs, info!.filename),
        files: new Set(info!.files.map((f) => f.path)),
      });
    }
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
    const install = run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        ...[...packed.values()].map((p) => p.file),
        // What a user adds: a backend for Node (cpu) and one for the browser (webgl).
        `@tensorflow/tfjs-backend-cpu@${tfRange('@tensorflow/tfjs-backend-cpu')}`,
        `@tensorflow/tfjs-backend-webgl@${tfRange('@tensorflow/tfjs-backend-webgl')}`,
      ],
      scratch,
      180_000,
    );
    if (install.status !== 0) {
      if (OFFLINE.test(install.out)) {
        skip = `npm registry unreachable and npm's cache incomplete, the tarballs could not be installed:\n${install.out.slice(-600)}`;
        console.warn(`SKIPPED (pack test): ${skip}`);
        return;
      }
      assert.fail(`npm install of the tarballs failed:\n${install.out}`);
    }
  });
  after(async () => {
    await closeBrowser?.();
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** The browser and a static server of the scratch project, started on first use. */
  async function openScratchPage(t: TestContext, url: string, html: string) {
    if (!server) {
      server = await serveStatic(scratch);
      ({ browser, close: closeBrowser } = await launchChromium());
    }
    writeFileSync(join(scratch, url), html);
    const opened = await openPage(browser!, `${server.origin}/${url}`);
    t.after(() => opened.page.close());
    // Until the page's script reports, or the page reports an error (a module that fails to load
    // stops the script without a word from it).
    for (const deadline = Date.now() + 60_000; ;) {
      const state = await opened.page.evaluate(() =>
        'result' in window ? 'done' : 'failure' in window ? 'failed' : '',
      );
      if (state === 'done') break;
      const failure = await opened.page.evaluate(() => (window as unknown as { failure?: string }).failure);
      assert.equal(failure, undefined, `the page's script failed: ${failure}`);
      assert.deepEqual(opened.errors, [], `${url} reported errors`);
      assert.ok(Date.now() < deadline, `${url}: the page's script did not finish within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return opened;
  }

  it('each tarball holds every file its package.json names; every bare import is a declared dependency', () => {
    for (const { dir, manifest } of PACKAGES) {
      const files = packed.get(manifest.name)!.files;
      for (const target of manifestTargets(manifest)) {
        if (target.includes('*')) {
          const [head, tail] = target.split('*') as [string, string];
          const some = [...files].some((f) => f.startsWith(head) && f.endsWith(tail));
          assert.ok(some, `${manifest.name}: nothing in the tarball matches "${target}" of package.json`);
        } else {
          assert.ok(files.has(target), `${manifest.name}: package.json names ${target}, which is not in the tarball`);
        }
      }
      const declared = new Set([
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.peerDependencies ?? {}),
      ]);
      for (const file of files) {
        if (!/^(dist|cdn)\/.*\.js$/.test(file) || file.endsWith('.umd.js')) continue;
        for (const name of importedPackages(readFileSync(join(ROOT, 'packages', dir, file), 'utf8'))) {
          if (name === manifest.name) continue;
          assert.ok(
            declared.has(name),
            `${manifest.name}/${file} imports ${name}, which is not in its dependencies or peerDependencies`,
          );
        }
      }
      for (const name of Object.keys(manifest.dependencies ?? {})) {
        assert.ok(
          !name.startsWith('@tensorflow/'),
          `${manifest.name}: ${name} must be a peer dependency (one tfjs per app)`,
        );
        assert.ok(
          !(name in (manifest.peerDependencies ?? {})),
          `${manifest.name}: ${name} is both a dependency and a peer`,
        );
      }
      for (const [name, range] of Object.entries(manifest.dependencies ?? {})) {
        const sibling = PACKAGES.find((p) => p.manifest.name === name);
        if (sibling)
          assert.equal(range, sibling.manifest.version, `${manifest.name} pins ${name} to the version built here`);
      }
      assert.ok(![...files].some((f) => f.endsWith('.test.ts')), `${manifest.name}: test files in the tarball`);
    }
  });

  it('installs from the tarballs alone: the packages resolve inside the scratch project, npm ls is clean', (t) => {
    if (skip) return t.skip(skip);
    const ls = run('npm', ['ls', '--all', '--json'], scratch);
    assert.equal(ls.status, 0, `npm ls reports problems:\n${ls.out.slice(0, 4000)}`);
    for (const { manifest } of PACKAGES) {
      const at = installed(manifest.name);
      assert.ok(existsSync(join(at, 'package.json')), `${manifest.name} installed`);
      assert.ok(realpathSync(at).startsWith(scratch + sep), `${manifest.name} resolves inside the scratch project`);
    }
    return undefined;
  });

  it('Node: core, convert, models and cli import and run; elements and tfjs-vis import without a DOM', (t) => {
    if (skip) return t.skip(skip);
    const script = `
      import { fileURLToPath } from 'node:url';
      import * as core from '@bagnet-vis/core';
      import { loadBagNetFromDisk } from '@bagnet-vis/core/node';
      import * as convert from '@bagnet-vis/convert';
      import { defaultModelUrl, sampleImages } from '@bagnet-vis/models';
      import * as cli from '@bagnet-vis/cli';
      import * as elements from '@bagnet-vis/elements';
      import '@bagnet-vis/elements/define.js';
      import * as tfjsVis from '@bagnet-vis/tfjs-vis';
      await core.useBackend('cpu');
      const net = await loadBagNetFromDisk(fileURLToPath(defaultModelUrl));
      const side = 28;
      const evidence = await net.evidence({ data: new Uint8Array(side * side * 3).fill(128), width: side, height: side });
      const resolved = ['@bagnet-vis/core', '@bagnet-vis/elements', '@bagnet-vis/tfjs-vis', '@tensorflow/tfjs-core'].map((s) => fileURLToPath(import.meta.resolve(s)));
      console.log(JSON.stringify({
        classes: evidence.topClasses(3).length,
        samples: sampleImages.length,
        convert: typeof convert.readTorchCheckpoint,
        cli: typeof cli.run,
        elements: typeof elements.BagNetHeatmapElement,
        tfjsVis: typeof tfjsVis.render?.heatmap,
        resolved,
      }));
      evidence.dispose();
      net.dispose();`;
    writeFileSync(join(scratch, 'check-node.mjs'), script);
    const r = run(process.execPath, ['check-node.mjs'], scratch);
    assert.equal(r.status, 0, r.out);
    const got = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown> & { resolved: string[] };
    assert.deepEqual(
      { ...got, resolved: undefined },
      {
        classes: 3,
        samples: got['samples'],
        convert: 'function',
        cli: 'function',
        elements: 'function',
        tfjsVis: 'function',
        resolved: undefined,
      },
    );
    assert.ok((got['samples'] as number) > 0);
    for (const path of got.resolved)
      assert.ok(path.startsWith(join(scratch, 'node_modules') + sep), `${path} is in the scratch project`);
    return undefined;
  });

  it('the installed bagnet command: --help, and explain on a sample image with the default model', (t) => {
    if (skip) return t.skip(skip);
    const bagnet = join(scratch, 'node_modules', '.bin', 'bagnet');
    const help = run(bagnet, ['--help'], scratch);
    assert.equal(help.status, 0, help.out);
    assert.match(help.out, /convert/);
    assert.match(help.out, /explain/);
    const models = installed('@bagnet-vis/models');
    const explain = run(
      bagnet,
      [
        'explain',
        join(models, 'samples/test-00102-sneaker.png'),
        '--model',
        join(models, 'default/model.json'),
        '--json',
        'out.json',
        '-q',
      ],
      scratch,
    );
    assert.equal(explain.status, 0, explain.out);
    const out = readJson<{ top: { label: string }[]; logitMap: { shape: number[] } }>(join(scratch, 'out.json'));
    assert.ok(out.top.length > 0 && out.logitMap.shape.length === 3, explain.out);
    return undefined;
  });

  it('browser: unbundled dist/ through an import map resolved from the installed tree', async (t) => {
    if (skip) return t.skip(skip);
    // Resolve every import the way a bundler does, from the scratch project: a dependency that
    // is missing or declared in the wrong place is not found there. tfjs stays external.
    const entry = join(scratch, 'browser-entry.js');
    writeFileSync(entry, MODULE_PAGE_SCRIPT.split('try {')[0]!); // the page's imports
    const externals = new Set<string>();
    const tfExternal: Plugin = {
      name: 'tfjs-external',
      setup(b) {
        b.onResolve({ filter: /^@tensorflow\// }, (a) => {
          externals.add(a.path);
          return { path: a.path, external: true };
        });
      },
    };
    const result = await build({
      entryPoints: [entry],
      absWorkingDir: scratch,
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'browser',
      logLevel: 'silent',
      plugins: [tfExternal],
    });
    const imports: Record<string, string> = {};
    const scopes: Record<string, Record<string, string>> = {};
    const inputs = (result.metafile as Metafile).inputs;
    for (const [importer, input] of Object.entries(inputs)) {
      for (const record of input.imports) {
        const original = record.original ?? record.path;
        if (record.external || packageOf(original) === undefined) continue;
        const url = `/${relative(scratch, join(scratch, record.path)).split(sep).join('/')}`;
        if (imports[original] === undefined || imports[original] === url) imports[original] = url;
        else (scopes[`/${importer.slice(0, importer.lastIndexOf('/') + 1)}`] ??= {})[original] = url;
      }
    }
    for (const name of externals) {
      if (TF_ESM[name]) imports[name] = `/node_modules/${name}/${TF_ESM[name]}`;
    }
    assert.ok(
      imports['lit'] && imports['@bagnet-vis/elements/define.js'],
      'the import map covers lit and the elements',
    );
    const { page, errors } = await openScratchPage(t, 'dist.html', modulePage({ imports, scopes }));
    const painted = await waitForPaint(page, 'body > bagnet-heatmap');
    assert.ok(painted.overlay[2] > 0, 'the heatmap painted');
    await waitForPaint(page, '#vis bagnet-heatmap');
    assert.deepEqual(await page.evaluate(() => (window as unknown as { result: unknown }).result), {
      convert: 'function',
      mounted: 'bagnet-heatmap',
      inBox: true,
    });
    assert.deepEqual(errors, []);
    return undefined;
  });

  it('browser: the cdn/ ESM bundles from the tarballs through an import map', async (t) => {
    if (skip) return t.skip(skip);
    const imports: Record<string, string> = Object.fromEntries(
      Object.entries(TF_ESM).map(([name, file]) => [name, `/node_modules/${name}/${file}`]),
    );
    for (const { dir, manifest } of PACKAGES) {
      if (dir === 'cli') continue;
      imports[manifest.name] = `/node_modules/${manifest.name}/cdn/${dir}.js`;
    }
    imports['@bagnet-vis/elements/define.js'] = imports['@bagnet-vis/elements']!;
    const { page, errors } = await openScratchPage(t, 'cdn.html', modulePage({ imports }));
    assert.ok((await waitForPaint(page, 'body > bagnet-heatmap')).overlay[2] > 0);
    await waitForPaint(page, '#vis bagnet-heatmap');
    assert.deepEqual(errors, []);
    return undefined;
  });

  it('browser: the UMD bundle named by the unpkg field, by script tag (global bagnetVis)', async (t) => {
    if (skip) return t.skip(skip);
    const elements = PACKAGES.find((p) => p.dir === 'elements')!.manifest;
    assert.equal(elements.unpkg, elements.jsdelivr);
    assert.match(
      elements.unpkg ?? '',
      /\.umd\.js$/,
      'unpkg/jsdelivr name the UMD bundle (what Observable require() loads)',
    );
    const { page, errors } = await openScratchPage(
      t,
      'umd.html',
      umdPage(`/node_modules/@bagnet-vis/elements/${elements.unpkg}`),
    );
    assert.ok((await waitForPaint(page, 'body > bagnet-heatmap')).overlay[2] > 0);
    const result = await page.evaluate(() => (window as unknown as { result: { convert: string } }).result);
    assert.equal(result.convert, 'undefined', 'convert is not in the UMD bundle');
    assert.deepEqual(errors, []);
    return undefined;
  });

  it('lerna version --conventional-commits works in a dry run (throwaway clone; this tree is left as it is)', () => {
    const status = () => run('git', ['status', '--porcelain'], ROOT).out;
    const before = status();
    const { changes, changelogs, manifests, versionModules } = versionDryRun();
    assert.equal(status(), before, 'the working tree is unchanged');
    assert.deepEqual(changes.map((c) => c.name).sort(), PACKAGES.map((p) => p.manifest.name).sort());
    assert.deepEqual(Object.keys(versionModules).sort(), [
      '@bagnet-vis/convert',
      '@bagnet-vis/core',
      '@bagnet-vis/elements',
    ]);
    for (const c of changes) {
      assert.notEqual(c.to, c.from, `${c.name} gets a new version`);
      assert.match(
        changelogs[c.name] ?? '',
        new RegExp(`^#+ \\[?${c.to.replace(/\./g, '\\.')}`, 'm'),
        `${c.name} CHANGELOG.md`,
      );
      if (versionModules[c.name] !== undefined) {
        assert.equal(
          versionModules[c.name],
          versionModule(c.name, c.to),
          `${c.name} src/version.ts follows package.json`,
        );
      }
      for (const [dep, range] of Object.entries(manifests[c.name]!.dependencies ?? {})) {
        if (manifests[dep]) assert.equal(range, manifests[dep]!.version, `${c.name} keeps ${dep} pinned exactly`);
      }
    }
  });
});
