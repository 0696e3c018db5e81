// @ts-check
/**
 * custom-elements.json from the JSDoc of the elements (CEM analyzer), for the docs site and
 * editors. Run from this folder: `npx cem analyze --config custom-elements-manifest.config.mjs`.
 * The manifest lists the public API only: private (`#field`) and protected members are dropped.
 */

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

export default {
  globs: ['src/**/*.ts'],
  exclude: ['src/**/*.test.ts'],
  outdir: process.env['CEM_OUTDIR'] ?? '.', // relative to this folder; the stale-manifest test writes under .cache/
  litelement: true,
  // package.json's `customElements` is fixed ("custom-elements.json"); the analyzer would otherwise
  // write its outdir there, e.g. the stale-manifest test's .cache/ folder.
  packagejson: false,
  dependencies: false,
  plugins: [publicApiOnly],
};
