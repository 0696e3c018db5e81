// @ts-check
/**
 * CDN bundles: one minified ESM file per public package under packages/<pkg>/cdn/, built from
 * the tsc output in dist/ (run `npm run build`, which runs `tsc -b` first). tfjs stays external
 * in every bundle — two copies of tfjs break tensors — and so do the other @bagnet-vis packages;
 * the min+gzip size of each bundle is printed.
 */
import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

/** Packages with a browser bundle, and their entry (relative to the package). */
const PACKAGES = [
  { name: 'core', entry: 'dist/index.js' },
  { name: 'convert', entry: 'dist/index.js' },
  { name: 'elements', entry: 'dist/define.js', alsoIndex: true },
];

/** @returns {import('rollup').Plugin} */
function reportSize() {
  return {
    name: 'report-size',
    generateBundle(_options, bundle) {
      for (const file of Object.values(bundle)) {
        if (file.type !== 'chunk') continue;
        const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
        console.log(
          `${file.fileName}: ${kb(file.code.length)} min, ${kb(gzipSync(file.code, { level: 9 }).length)} min+gzip`,
        );
      }
    },
  };
}

/** @type {import('rollup').RollupOptions[]} */
const configs = [];
for (const p of PACKAGES) {
  const input = `packages/${p.name}/${p.entry}`;
  if (!existsSync(input)) continue; // package not built (or not present yet)
  configs.push({
    input,
    // Other @bagnet-vis packages stay external too (an import map points them at their own cdn
    // bundle), so a page never holds two copies of BagNet or EvidenceMap.
    external: (id) =>
      id.startsWith('@tensorflow/') || (id.startsWith('@bagnet-vis/') && id !== `@bagnet-vis/${p.name}`),
    plugins: [
      nodeResolve({ browser: true, exportConditions: ['browser', 'import', 'default'] }),
      terser(),
      reportSize(),
    ],
    output: {
      dir: `packages/${p.name}/cdn`,
      format: 'es',
      entryFileNames: `${p.name}.js`,
      chunkFileNames: `${p.name}-[hash].js`,
    },
    onwarn(warning, warn) {
      if (warning.code === 'CIRCULAR_DEPENDENCY' && /@tensorflow|lit/.test(warning.message)) return;
      warn(warning);
    },
  });
}
export default configs;
