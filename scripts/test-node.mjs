#!/usr/bin/env node
// @ts-check
/**
 * Runs the Node test suite: every *.test.ts under packages/<pkg>/test/ and test/node/, except
 * browser tests (*.browser.test.ts, packages/elements). Node 20's --test does not expand globs,
 * so the files are listed here. Extra arguments are passed to `node --test`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** @param {string} dir @returns {string[]} */
function walk(dir) {
  let out = /** @type {string[]} */ ([]);
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (name.endsWith('.test.ts') && !name.endsWith('.browser.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const pkgs = readdirSync(join(root, 'packages')).filter((p) => p !== 'elements');
const files = [
  ...pkgs.flatMap((p) => walk(join(root, 'packages', p, 'test'))),
  ...walk(join(root, 'test', 'node')),
].sort();
const r = spawnSync(
  process.execPath,
  ['--conditions=source', '--import', 'tsx', '--test', '--test-concurrency=1', ...process.argv.slice(2), ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(r.status ?? 1);
