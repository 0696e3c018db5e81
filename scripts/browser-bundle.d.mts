import type { BuildOptions, BuildResult } from 'esbuild';

/** Node built-ins left external in browser bundles of tfjs code. */
export const NODE_ONLY_EXTERNALS: readonly string[];
/** The esbuild settings every browser bundle of the repository's sources shares. */
export const BROWSER_BUNDLE_OPTIONS: Readonly<BuildOptions>;
/** esbuild's `build` with the shared browser settings and `options` on top; output in memory. */
export function bundleForBrowser<T extends BuildOptions>(options: T): Promise<BuildResult<T & { write: false }>>;
