// @ts-check
/**
 * The one set of esbuild settings for bundling this repository's TypeScript sources for a browser
 * page: the demo (`npm start`), the tfjs-vis dashboard, the browser tests (web-test-runner), the
 * soak page and the browser benchmarks. One ES module, ES2022, the packages' `source` export
 * condition (their TypeScript, no build needed), kept in memory; tfjs-core's Node-only imports
 * stay external. Each caller adds its entry points and what is its own (minify, source maps,
 * `process.env.NODE_ENV`).
 */
import { build } from 'esbuild';

/**
 * Node built-ins that tfjs-core's Node-only code paths reference; browser bundles leave them
 * external because the browser never runs those paths.
 */
export const NODE_ONLY_EXTERNALS = Object.freeze([
  'fs',
  'path',
  'crypto',
  'worker_threads',
  'perf_hooks',
  'os',
  'util',
  'node-fetch',
  'string_decoder',
]);

/** The settings every browser bundle shares. */
export const BROWSER_BUNDLE_OPTIONS = Object.freeze({
  bundle: true,
  write: false,
  format: /** @type {const} */ ('esm'),
  platform: /** @type {const} */ ('browser'),
  target: 'es2022',
  conditions: ['source'],
  logLevel: /** @type {const} */ ('warning'),
});

/**
 * Bundles for a browser, in memory: esbuild's `build` with {@link BROWSER_BUNDLE_OPTIONS}, the
 * Node-only externals, and `options` on top.
 * @param {import('esbuild').BuildOptions} options
 */
export function bundleForBrowser(options) {
  return build({
    ...BROWSER_BUNDLE_OPTIONS,
    conditions: [...BROWSER_BUNDLE_OPTIONS.conditions],
    external: [...NODE_ONLY_EXTERNALS],
    ...options,
    write: false,
  });
}
