#!/usr/bin/env node
// @ts-check
/**
 * A package's version, compiled in: `src/version.ts` is generated from the package's package.json,
 * the one place its version is written. Browser code cannot read package.json when it runs (and
 * tsc does not inline it), so the file is written whenever the version changes: lerna runs this
 * script in the `version` lifecycle of each package it bumps (see the package's package.json), and
 * test/node/versions.test.ts fails when a committed file differs from its package.json.
 *
 * `node ../../scripts/package-version.mjs` (in a package folder) writes its src/version.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The text of src/version.ts for the package `name` at `version`.
 * @param {string} name @param {string} version
 */
export function versionModule(name, version) {
  return (
    `// Generated from package.json by scripts/package-version.mjs; do not edit.\n\n` +
    `/** The version of ${name}, as its package.json says. */\n` +
    `export const VERSION = '${version}';\n`
  );
}

/**
 * Writes `dir`/src/version.ts from `dir`/package.json; returns the version.
 * @param {string} dir
 */
export function writeVersionModule(dir) {
  const { name, version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  writeFileSync(join(dir, 'src', 'version.ts'), versionModule(String(name), String(version)));
  return String(version);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) writeVersionModule(process.cwd());
