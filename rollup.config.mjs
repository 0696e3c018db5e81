// @ts-check
/**
 * Browser bundles, built from the tsc output in dist/ (`npm run build` runs `tsc -b` first):
 *
 * - `packages/<pkg>/cdn/<pkg>.js` — one minified ESM file per public browser package, its own
 *   third-party code inside (lit, @lit/context, d3-scale-chromatic, fflate), tfjs and the other
 *   @bagnet-vis packages external: an import map points them at tfjs's ESM builds and at the
 *   sibling cdn bundles, so a page holds one copy of each (two copies of tfjs break tensors).
 *   `cdn/elements.js` also registers the tags (it is `index.js` + `define.js`).
 * - `packages/convert/cdn/convert.worker.js` — the module worker of convert's CheckpointConverter,
 *   self-contained (the parts of core it uses and fflate inside; no tfjs, the build fails if any
 *   reaches it): a worker does not see the page's import map, and `cdn/convert.js` finds it next
 *   to itself (`new URL('./convert.worker.js', import.meta.url)`).
 * - `packages/elements/cdn/elements.umd.js` — core + elements (+ the tfjs-vis integration) in one
 *   UMD file for `<script>` tags and Observable's `require`: global `bagnetVis`; tfjs from the
 *   globals of its own UMD scripts (`tf` for tfjs-core, tfjs-layers and the backends, `tfvis` for
 *   tfjs-vis). The same file is written to `packages/tfjs-vis/cdn/tfjs-vis.umd.js`, so that
 *   `require('@bagnet-vis/tfjs-vis')` works too.
 *
 * The min and min+gzip size of every bundle is printed; the elements ESM bundle has a budget.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

const root = fileURLToPath(new URL('.', import.meta.url));
const dist = (/** @type {string} */ pkg, file = 'index.js') => `${root}packages/${pkg}/dist/${file}`;

/** Budget of `cdn/elements.js`, min+gzip (issue 7). */
export const ELEMENTS_BUDGET_BYTES = 40 * 1024;

/** The global name of the UMD bundle. */
export const UMD_NAME = 'bagnetVis';

/**
 * Public browser packages: the modules their cdn bundle re-exports (relative to dist/). The CLI is
 * Node only. A package whose sources are not there yet (tfjs-vis while it is being written) is
 * skipped; one with sources but no dist/ is an error (run `tsc -b` first).
 */
const ESM_BUNDLES = [
  { pkg: 'core', modules: ['index.js'] },
  { pkg: 'convert', modules: ['index.js'] },
  { pkg: 'models', modules: ['index.js'] },
  { pkg: 'elements', modules: ['index.js', 'define.js'] },
  { pkg: 'tfjs-vis', modules: ['index.js'] },
].filter(({ pkg }) => {
  if (!existsSync(`${root}packages/${pkg}/src/index.ts`)) return false;
  if (!existsSync(dist(pkg))) {
    throw new Error(`packages/${pkg}/dist/index.js is missing: run \`tsc -b tsconfig.json\` before rollup.`);
  }
  return true;
});
const hasTfjsVis = ESM_BUNDLES.some((b) => b.pkg === 'tfjs-vis');

/**
 * Globals of the tfjs UMD scripts the UMD bundle imports statically (tfjs-layers adds itself to
 * `tf`). Backends and tfjs-vis are imported on demand: see umdGlobalImports.
 */
const TF_GLOBALS = { '@tensorflow/tfjs-core': 'tf', '@tensorflow/tfjs-layers': 'tf' };

/**
 * A virtual entry module: `export *` of each file. Rollup fails the build on a name exported by
 * two of them (see onwarn), so the UMD namespace never silently drops a name.
 * @param {string} id @param {string[]} files @returns {import('rollup').Plugin}
 */
function virtualEntry(id, files) {
  return {
    name: 'virtual-entry',
    resolveId: (source) => (source === id ? `\0${id}` : null),
    load: (source) =>
      source === `\0${id}` ? files.map((f) => `export * from ${JSON.stringify(f)};`).join('\n') : null,
  };
}

/**
 * In the UMD build, the on-demand imports of optional tfjs packages (core loads backends with
 * `import('@tensorflow/tfjs-backend-webgl')`, the tfjs-vis integration `import('@tensorflow/tfjs-vis')`)
 * cannot load anything: they resolve to what the package's own script tag defined (a backend
 * registered on the global `tf`, the global `tfvis`), or fail saying which script to add.
 * @returns {import('rollup').Plugin}
 */
function umdGlobalImports() {
  return {
    name: 'umd-global-imports',
    renderDynamicImport: ({ format }) => (format === 'umd' ? { left: '__bagnetVisGlobal(', right: ')' } : null),
  };
}
const UMD_INTRO = `function __bagnetVisGlobal(id) {
  var g = typeof globalThis !== 'undefined' ? globalThis : self;
  var backend = /^@tensorflow\\/tfjs-backend-(.+)$/.exec(id);
  var found = backend
    ? g.tf && g.tf.findBackendFactory && g.tf.findBackendFactory(backend[1]) ? (backend[1] === 'wasm' ? g.tf.wasm || g.tf : g.tf) : undefined
    : id === '@tensorflow/tfjs-vis' ? g.tfvis : undefined;
  if (found) return Promise.resolve(found);
  var script = backend ? 'tf-backend-' + backend[1] + '.min.js' : 'tfjs-vis.umd.min.js';
  return Promise.reject(new Error(id + ' is not loaded: with the UMD build of @bagnet-vis, add <script src="https://cdn.jsdelivr.net/npm/' + id + '/dist/' + script + '"> before it.'));
}`;

/** @type {Map<string, { min: number, gzip: number }>} */
const sizes = new Map();
const kB = (/** @type {number} */ n) => `${(n / 1024).toFixed(1)} kB`;

/** Records and prints the min and min+gzip size of each output file. @returns {import('rollup').Plugin} */
function reportSize() {
  return {
    name: 'report-size',
    writeBundle(options, bundle) {
      for (const file of Object.values(bundle)) {
        if (file.type !== 'chunk') continue;
        const path = relative(root, resolvePath(options.file ?? join(options.dir ?? '.', file.fileName)));
        const size = { min: Buffer.byteLength(file.code), gzip: gzipSync(file.code, { level: 9 }).length };
        sizes.set(path, size);
        console.log(`${path}: ${kB(size.min)} min, ${kB(size.gzip)} min+gzip`);
        if (path === 'packages/elements/cdn/elements.js' && size.gzip > ELEMENTS_BUDGET_BYTES) {
          console.warn(`  ⚠ over the ${kB(ELEMENTS_BUDGET_BYTES)} min+gzip budget of the elements bundle`);
        }
      }
    },
  };
}

/** @type {import('rollup').WarningHandlerWithDefault} */
function onwarn(warning, warn) {
  // tfjs and lit have harmless internal cycles.
  if (warning.code === 'CIRCULAR_DEPENDENCY' && /@tensorflow|lit/.test(warning.message)) return;
  // A name exported by two re-exported packages would silently vanish from the bundle.
  if (warning.code === 'NAMESPACE_CONFLICT') throw new Error(warning.message);
  warn(warning);
}

const resolve = () => nodeResolve({ browser: true, exportConditions: ['browser', 'import', 'default'] });

/** @type {import('rollup').RollupOptions[]} */
const configs = ESM_BUNDLES.map(({ pkg, modules }) => {
  const id = `bagnet-vis-cdn:${pkg}`;
  return {
    input: id,
    // Other @bagnet-vis packages stay external too: one copy of BagNet and EvidenceMap per page.
    external: (source) =>
      source.startsWith('@tensorflow/') ||
      (source.startsWith('@bagnet-vis/') && !source.startsWith(`@bagnet-vis/${pkg}`)),
    plugins: [
      virtualEntry(
        id,
        modules.map((m) => dist(pkg, m)),
      ),
      resolve(),
      terser(),
      reportSize(),
    ],
    output: {
      file: `packages/${pkg}/cdn/${pkg}.js`,
      format: 'es',
      inlineDynamicImports: true,
      // The elements cdn bundle registers the tags itself: one import-map entry serves both.
      paths: { '@bagnet-vis/elements/define.js': '@bagnet-vis/elements' },
    },
    onwarn,
  };
});

/**
 * Fails the build when a tfjs module ends up in the bundle (the worker must not carry tfjs).
 * @returns {import('rollup').Plugin}
 */
function noTfjs() {
  return {
    name: 'no-tfjs',
    generateBundle(_options, bundle) {
      for (const file of Object.values(bundle)) {
        if (file.type !== 'chunk') continue;
        const tfjs = Object.keys(file.modules).filter((id) => id.includes('@tensorflow'));
        if (tfjs.length > 0 || file.imports.some((id) => id.startsWith('@tensorflow/'))) {
          throw new Error(`${file.fileName} must not contain tfjs, but has ${tfjs.slice(0, 3).join(', ')}`);
        }
      }
    },
  };
}

if (ESM_BUNDLES.some((b) => b.pkg === 'convert')) {
  configs.push({
    input: dist('convert', 'convert.worker.js'),
    // External only so that rollup does not parse tfjs: noTfjs fails the build if an import of it
    // survives tree-shaking (core's unused modules go: it has no side effects).
    external: (source) => source.startsWith('@tensorflow/'),
    plugins: [resolve(), noTfjs(), terser(), reportSize()],
    output: { file: 'packages/convert/cdn/convert.worker.js', format: 'es', inlineDynamicImports: true },
    onwarn,
  });
}

if (ESM_BUNDLES.some((b) => b.pkg === 'elements')) {
  const id = 'bagnet-vis-umd';
  const umdFiles = [
    'packages/elements/cdn/elements.umd.js',
    ...(hasTfjsVis ? ['packages/tfjs-vis/cdn/tfjs-vis.umd.js'] : []),
  ];
  configs.push({
    input: id,
    external: (source) => source.startsWith('@tensorflow/'),
    plugins: [
      virtualEntry(id, [
        dist('core'),
        dist('elements'),
        dist('elements', 'define.js'),
        ...(hasTfjsVis ? [dist('tfjs-vis')] : []),
      ]),
      resolve(),
      umdGlobalImports(),
      terser(),
      reportSize(),
    ],
    output: umdFiles.map((file) => ({
      file,
      format: 'umd',
      name: UMD_NAME,
      inlineDynamicImports: true,
      intro: UMD_INTRO,
      globals: TF_GLOBALS,
    })),
    onwarn,
  });
}

export default configs;
