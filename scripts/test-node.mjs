#!/usr/bin/env node
// @ts-check
/**
 * Runs the Node test suite: every *.test.ts under packages/<pkg>/test/ and test/node/, except
 * browser tests (*.browser.test.ts, packages/elements). Node 20's --test does not expand globs,
 * so the files are listed here. Extra arguments are passed to `node --test`.
 *
 * Files run one at a time (tests build packages, start servers and Chromium: they must not
 * overlap). Output: the spec reporter, then the slowest tests and one closing line
 * (scripts/test-report/node-summary.mjs); tfjs's tfjs-node banner is printed once here instead of
 * once per test process (scripts/test-report/quiet-tfjs-banner.mjs).
 *
 * Tests never write inside the source tree (scratch goes to a temporary folder): the run fails
 * if a file appeared or changed in the checkout outside node_modules and the build outputs
 * (dist/, cdn/, *.tsbuildinfo), unless BAGNET_SCREENSHOTS=1 asked for the screenshots.
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
/** Build outputs that tests may (re)build in place: `tsc -b` and rollup, as `npm run build` does. */
const BUILD_OUTPUT = /(^|\/)(node_modules|dist|cdn)\/|\.tsbuildinfo$/;

/** What git sees in the checkout besides build outputs: changed, untracked and ignored paths. */
function treeState() {
  const r = spawnSync('git', ['status', '--porcelain=v1', '--ignored', '--untracked-files=all', '-z'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) return undefined; // not a git checkout: nothing to compare
  return new Set(
    r.stdout
      .split('\0')
      .filter((e) => e.length > 3 && !BUILD_OUTPUT.test(e.slice(3)))
      .map((e) => e.slice(3)),
  );
}

const before = treeState();

console.log(
  'tfjs says, once for every test process: "looks like you are running TensorFlow.js in Node.js; install ' +
    'tfjs-node". tfjs-node cannot install here (it downloads libtensorflow): the tests use the CPU and WASM backends.\n',
);
const r = spawnSync(
  process.execPath,
  [
    '--conditions=source',
    '--import',
    'tsx',
    '--import',
    './scripts/test-report/quiet-tfjs-banner.mjs',
    '--test',
    '--test-concurrency=1',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=./scripts/test-report/node-summary.mjs',
    '--test-reporter-destination=stdout',
    ...process.argv.slice(2),
    ...files,
  ],
  { cwd: root, stdio: 'inherit' },
);

const after = treeState();
const written = before && after ? [...after].filter((p) => !before.has(p)) : [];
if (written.length > 0 && process.env['BAGNET_SCREENSHOTS'] !== '1') {
  console.error(
    `\nThe Node tests wrote inside the source tree (tests must write to a temporary folder):\n${written
      .slice(0, 20)
      .map((p) => `  ${p}`)
      .join('\n')}${written.length > 20 ? `\n  … and ${written.length - 20} more` : ''}`,
  );
  process.exit(1);
}
process.exit(r.status ?? 1);
