/**
 * One version number per package: its package.json's. A package whose code needs its own version
 * (the elements' guarded `define`, the `convertedBy` of written models) reads src/version.ts,
 * which scripts/package-version.mjs generates from package.json (lerna runs it when it bumps a
 * version; test/node/pack.test.ts checks that in a dry run). No other version literal is written
 * in the sources.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { versionModule } from '../../scripts/package-version.mjs';
import { sourceFiles } from '../helpers/source-files.js';

const PACKAGES = fileURLToPath(new URL('../../packages/', import.meta.url));

describe('package versions', () => {
  const packages = readdirSync(PACKAGES).filter((p) => existsSync(join(PACKAGES, p, 'src')));

  it('src/version.ts is generated from package.json, and lerna regenerates it', () => {
    const generated = packages.filter((p) => existsSync(join(PACKAGES, p, 'src', 'version.ts')));
    assert.deepEqual(generated.sort(), ['convert', 'core', 'elements']);
    for (const p of generated) {
      const manifest = JSON.parse(readFileSync(join(PACKAGES, p, 'package.json'), 'utf8')) as {
        name: string;
        version: string;
        scripts?: Record<string, string>;
      };
      const text = readFileSync(join(PACKAGES, p, 'src', 'version.ts'), 'utf8');
      assert.equal(
        text,
        versionModule(manifest.name, manifest.version),
        `${p}: run node ../../scripts/package-version.mjs`,
      );
      assert.notEqual(text, versionModule(manifest.name, `${manifest.version}-next`));
      assert.match(manifest.scripts?.['version'] ?? '', /package-version\.mjs && git add src\/version\.ts/);
    }
  });

  it('no other source writes a version number (x.y.z in a string)', () => {
    const literal = /['"`][^'"`\n]*\b\d+\.\d+\.\d+(?:-[\w.]+)?['"`]/;
    const found = packages
      .flatMap((p) => sourceFiles(join(PACKAGES, p, 'src')))
      .filter((f) => !f.endsWith(`${join('src', 'version.ts')}`))
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => ({ line, at: `${f.slice(PACKAGES.length)}:${i + 1}` }))
          .filter(({ line }) => literal.test(line)),
      )
      .map(({ at, line }) => `${at}: ${line.trim()}`);
    assert.deepEqual(found, []);
  });
});
