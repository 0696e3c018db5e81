// @ts-check
/**
 * custom-elements.json from the JSDoc of the elements (CEM analyzer), for the docs site and
 * editors. Run from this folder: `npx cem analyze --config custom-elements-manifest.config.mjs`.
 * The manifest lists the public API only: private (`#field`) and protected members are dropped.
 *
 * Modules are created in sorted path order: the analyzer's glob walks folders concurrently, so
 * its order follows the file system's timing, and a busy machine once produced a manifest whose
 * modules stood in another order than the committed one.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This package's folder: the analyzer's globs are relative to it. */
const here = fileURLToPath(new URL('.', import.meta.url));

/** @type {import('@custom-elements-manifest/analyzer').Plugin} */
const publicApiOnly = {
  name: 'bagnet-public-api-only',
  packageLinkPhase({ customElementsManifest }) {
    for (const mod of customElementsManifest.modules ?? []) {
      for (const decl of mod.declarations ?? []) {
        if (!('members' in decl) || !decl.members) continue;
        decl.members = decl.members.filter(
          (m) => !m.name.startsWith('#') && m.privacy !== 'private' && m.privacy !== 'protected',
        );
      }
    }
  },
};

/**
 * The analyzer's own module creation (read the file, parse it as ES2015), over the globs sorted
 * by path so that the manifest does not depend on the order the file system lists them in.
 * @param {{ ts: typeof import('typescript'), globs: string[] }} context
 * @param {string} [cwd] the folder the globs are relative to (this package)
 */
export function createModulesInPathOrder({ ts, globs }, cwd = here) {
  return [...globs]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((glob) => ts.createSourceFile(glob, readFileSync(resolve(cwd, glob), 'utf8'), ts.ScriptTarget.ES2015, true));
}

export default {
  globs: ['src/**/*.ts'],
  exclude: ['src/**/*.test.ts'],
  outdir: '.',
  litelement: true,
  // package.json's `customElements` is fixed ("custom-elements.json"): the analyzer leaves it alone.
  packagejson: false,
  overrideModuleCreation: createModulesInPathOrder,
  dependencies: false,
  plugins: [publicApiOnly],
};
