/**
 * custom-elements.json is generated from the elements' JSDoc (CEM analyzer) and feeds the docs
 * site and editors: a stale manifest fails here. Regenerate with
 * `npm run manifest -w @bagnet-vis/elements`.
 *
 * The analyzer runs in this process with `noWrite`: nothing is written, inside the source tree
 * or elsewhere, so the test cannot disturb (or be disturbed by) anything running beside it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// The analyzer's command-line entry, run programmatically (the package has no `exports` map).
// @ts-expect-error -- cli.js ships no type declarations.
import { cli } from '@custom-elements-manifest/analyzer/cli.js';
import ts from 'typescript';

const pkg = fileURLToPath(new URL('../../packages/elements/', import.meta.url));
const configUrl = new URL('../../packages/elements/custom-elements-manifest.config.mjs', import.meta.url).href;
const { createModulesInPathOrder } = (await import(configUrl)) as {
  createModulesInPathOrder: (context: { ts: typeof ts; globs: string[] }, cwd?: string) => ts.SourceFile[];
};

interface Manifest {
  modules: { path: string }[];
}

async function analyze(): Promise<Manifest> {
  const run = cli as (options: { argv: string[]; cwd: string; noWrite: boolean }) => Promise<Manifest>;
  return run({
    argv: ['analyze', '--config', 'custom-elements-manifest.config.mjs', '--quiet'],
    cwd: pkg,
    noWrite: true,
  });
}

describe('custom-elements.json', () => {
  it('matches the source (regenerate with npm run manifest -w @bagnet-vis/elements)', async () => {
    const fresh = await analyze();
    const committed = JSON.parse(readFileSync(join(pkg, 'custom-elements.json'), 'utf8')) as Manifest;
    assert.deepEqual(committed, JSON.parse(JSON.stringify(fresh)) as Manifest);
    const tags = JSON.stringify(committed)
      .match(/"tagName":"[a-z-]+"/g)
      ?.sort();
    assert.deepEqual(tags, [
      '"tagName":"bagnet-explainer"',
      '"tagName":"bagnet-heatmap"',
      '"tagName":"evidence-bar"',
      '"tagName":"patch-certificate"',
      '"tagName":"patch-gallery"',
    ]);
  });

  it('lists its modules in path order, whatever order the file system gives', async () => {
    const paths = (await analyze()).modules.map((m) => m.path);
    assert.ok(paths.length > 10, `modules: ${paths.join(', ')}`);
    assert.deepEqual(paths, [...paths].sort());
    // The config's module creation sorts whatever glob order it is handed.
    const globs = paths.slice(0, 4);
    const shuffled = [globs[2]!, globs[0]!, globs[3]!, globs[1]!];
    const created = createModulesInPathOrder({ ts, globs: shuffled }, pkg).map((m) => m.fileName);
    assert.deepEqual(created, globs);
  });
});
