#!/usr/bin/env node
// @ts-check
/**
 * Runs the Node test suite: every *.test.ts under packages/<pkg>/test/ and test/node/, except
 * browser tests (*.browser.test.ts, packages/elements). Node 20's --test does not expand globs,
 * so the files are listed here. Extra arguments are passed to `node --test`.
 *
 * Two lanes run side by side (the suite's machines have 2 cores, and most tests keep one busy):
 * - lane 1, one file at a time: the files that start Chromium, build packages or clone the
 *   repository (recognised by what they call, {@link HEAVY}), so no two builds or browsers overlap,
 *   and files that say `test-lane: heavy` (several busy child processes at once);
 * - lane 2, one file at a time: every other file (tfjs on CPU/WASM, the CLI in child processes).
 * Budgets in tests are CPU time, not wall time, so a busy neighbour lane cannot fail them.
 * `--lanes 1` (or BAGNET_TEST_LANES=1) runs every file in one lane, one at a time.
 * `--browser` (what `npm test` passes) also runs the browser suite (@web/test-runner, its own
 * Chromium) as soon as the first lane is done (lane 2 usually, while lane 1 is still busy), instead
 * of after both: on 2 cores most of the suite waits on one process at a time.
 *
 * Output: lane 1's spec report as it runs, then lane 2's, then one summary of both: the slowest
 * tests and files and one closing line (scripts/test-report/node-summary.mjs). tfjs's tfjs-node
 * banner is printed once here instead of once per test process
 * (scripts/test-report/quiet-tfjs-banner.mjs).
 *
 * Tests never write inside the source tree (scratch goes to a temporary folder): the run fails
 * if a file appeared or changed in the checkout outside node_modules and the build outputs
 * (dist/, cdn/, *.tsbuildinfo), unless BAGNET_SCREENSHOTS=1 asked for the screenshots.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { formatSummary } from './test-report/node-summary.mjs';

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
/**
 * What makes a test file heavy (lane 1): it starts Chromium, builds or packs packages, clones the
 * repo, or says `test-lane: heavy`.
 */
const HEAVY =
  /launchChromium|chromium\.mjs|puppeteer|\btsc\b.*-b|rollup|build-bundles|npm pack|git clone|['"]clone['"]|test-lane: heavy/;

const argv = process.argv.slice(2);
const withBrowser = argv.includes('--browser');
const lanesArg = argv.indexOf('--lanes');
const oneLane = process.env['BAGNET_TEST_LANES'] === '1' || (lanesArg >= 0 && argv[lanesArg + 1] === '1');
const extra = argv.filter((a, i) => a !== '--browser' && (lanesArg < 0 || (i !== lanesArg && i !== lanesArg + 1)));
const heavy = files.filter((f) => HEAVY.test(readFileSync(join(root, f), 'utf8')));
const lanes = oneLane ? [files] : [heavy, files.filter((f) => !heavy.includes(f))].filter((l) => l.length > 0);

const scratch = mkdtempSync(join(tmpdir(), 'bagnet-test-node-'));
/**
 * Runs one lane's files with `node --test`, one at a time. Lane 1 prints as it goes; later lanes
 * write to a log that is printed when they are done. Resolves to the exit status.
 * @param {string[]} laneFiles @param {number} k @returns {Promise<{ status: number, log?: string }>}
 */
function runLane(laneFiles, k) {
  const log = k === 0 ? undefined : join(scratch, `lane-${k + 1}.log`);
  const out = log ? createWriteStream(log) : undefined;
  const child = spawn(
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
      ...extra,
      ...laneFiles,
    ],
    {
      cwd: root,
      stdio: ['ignore', out ? 'pipe' : 'inherit', out ? 'pipe' : 'inherit'],
      env: { ...process.env, BAGNET_TEST_SUMMARY: join(scratch, `summary-${k + 1}.json`) },
    },
  );
  child.stdout?.pipe(/** @type {NodeJS.WritableStream} */ (out), { end: false });
  child.stderr?.pipe(/** @type {NodeJS.WritableStream} */ (out), { end: false });
  // A lane killed by a signal has no exit code: it failed.
  return new Promise((resolve) =>
    child.on('close', (code) => {
      if (out) out.end(() => resolve({ status: code ?? 1, log }));
      else resolve({ status: code ?? 1 });
    }),
  );
}

/**
 * The browser suite (`npm run test:browser`'s web-test-runner), its output into a log printed at
 * the end. Resolves to the exit status.
 * @returns {Promise<{ status: number, log: string, seconds: number }>}
 */
function runBrowser() {
  const log = join(scratch, 'browser.log');
  const out = createWriteStream(log);
  const t0 = Date.now();
  const child = spawn(
    process.execPath,
    [join(root, 'node_modules', '.bin', 'web-test-runner'), '--config', 'web-test-runner.config.mjs'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: process.env['CI'] ?? 'true' } },
  );
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  return new Promise((resolve) =>
    // A run killed by a signal has no exit code: it failed.
    child.on('close', (code) => out.end(() => resolve({ status: code ?? 1, log, seconds: (Date.now() - t0) / 1000 }))),
  );
}

if (lanes.length > 1) {
  console.log(
    `${lanes.length} lanes: ${lanes[0]?.length} heavy files — Chromium, builds, clones (shown as they run), ` +
      `${lanes[1]?.length} other files beside them (shown after)` +
      `${withBrowser ? '; the browser suite follows the first lane that is done' : ''}.\n`,
  );
}
const t0 = Date.now();
/** @type {Promise<{ status: number, log: string, seconds: number }> | undefined} */
let browser;
let browserAfter = 0;
const laneSeconds = /** @type {number[]} */ ([]);
const results = await Promise.all(
  lanes.map(async (laneFiles, k) => {
    const res = await runLane(laneFiles, k);
    laneSeconds[k] = (Date.now() - t0) / 1000;
    // The browser suite follows whichever lane is done first (lane 2 usually).
    if (withBrowser && !browser) {
      browserAfter = k + 1;
      browser = runBrowser();
    }
    return res;
  }),
);
const browserResult = browser ? await browser : undefined;
/** @type {import('./test-report/node-summary.mjs').NodeSummary[]} */
const summaries = [];
results.forEach((res, k) => {
  if (res.log) {
    console.log(`\n--- lane ${k + 1} ---`);
    process.stdout.write(readFileSync(res.log, 'utf8'));
  }
  try {
    summaries.push(JSON.parse(readFileSync(join(scratch, `summary-${k + 1}.json`), 'utf8')));
  } catch {
    console.error(`lane ${k + 1} ended (status ${res.status}) without a test summary`);
  }
});
console.log(formatSummary(summaries));
if (browserResult) {
  console.log('\n--- browser suite (web-test-runner) ---');
  process.stdout.write(readFileSync(browserResult.log, 'utf8'));
}
console.log(
  `\nWall time: ${laneSeconds.map((s, k) => `lane ${k + 1} ${s.toFixed(0)} s`).join(', ')}` +
    (browserResult
      ? `, browser suite ${browserResult.seconds.toFixed(0)} s (after lane ${browserAfter}); ` +
        `all ${((Date.now() - t0) / 1000).toFixed(0)} s`
      : ''),
);
rmSync(scratch, { recursive: true, force: true });
const status = [...results, ...(browserResult ? [browserResult] : [])].some((res) => res.status !== 0) ? 1 : 0;

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
process.exit(status);
