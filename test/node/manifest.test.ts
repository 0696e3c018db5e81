/**
 * custom-elements.json is generated from the elements' JSDoc (CEM analyzer) and feeds the docs
 * site and editors: a stale manifest fails here. Regenerate with
 * `npm run manifest -w @bagnet-vis/elements`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('../../packages/elements/', import.meta.url));

describe('custom-elements.json', () => {
  it('matches the source (regenerate with npm run manifest -w @bagnet-vis/elements)', () => {
    // The analyzer resolves its outdir relative to the package folder.
    const rel = join('.cache', `cem-${process.pid}`);
    const out = join(pkg, rel);
    try {
      const cli = fileURLToPath(
        new URL('../../node_modules/@custom-elements-manifest/analyzer/cem.js', import.meta.url),
      );
      execFileSync(process.execPath, [cli, 'analyze', '--config', 'custom-elements-manifest.config.mjs'], {
        cwd: pkg,
        stdio: 'pipe',
        env: { ...process.env, CEM_OUTDIR: rel },
      });
      const fresh = JSON.parse(readFileSync(join(out, 'custom-elements.json'), 'utf8')) as unknown;
      const committed = JSON.parse(readFileSync(join(pkg, 'custom-elements.json'), 'utf8')) as unknown;
      assert.deepEqual(committed, fresh);
      const tags = JSON.stringify(committed)
        .match(/"tagName":"[a-z-]+"/g)
        ?.sort();
      assert.deepEqual(tags, [
        '"tagName":"bagnet-explainer"',
        '"tagName":"bagnet-heatmap"',
        '"tagName":"evidence-bar"',
        '"tagName":"patch-gallery"',
      ]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
