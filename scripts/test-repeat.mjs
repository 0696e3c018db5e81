#!/usr/bin/env node
// @ts-check
/**
 * `npm run test:repeat -- [--runs N] [--fresh-install] [--keep]`: runs the whole suite (`npm
 * test`, as CI does, with CI=true) N times (default 5), each in a fresh clone of this
 * repository's HEAD in a temporary folder, one after another, and reports every test that ever
 * failed, with how often. Not part of `npm test`: it exists to find flaky tests.
 *
 * Each clone gets node_modules as a hard-linked copy of this checkout's (seconds, no registry);
 * `--fresh-install` runs `npm ci` in each clone instead (the npm cache makes it offline-capable,
 * but it takes minutes). Commit first: uncommitted changes are not in the clones. The logs stay
 * in the printed folder with `--keep` (or when a run failed).
 *
 * Failed tests are read from the `FAILED <file> › <test>` lines that the suite's reporters print
 * (scripts/test-report/); a run that fails before or outside the test runners (lint, typecheck,
 * a crash) is reported by its exit status and the last lines of its log.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);

function usage(message) {
  console.error(`test:repeat: ${message}\nusage: npm run test:repeat -- [--runs N] [--fresh-install] [--keep]`);
  process.exit(2);
}

let runs = 5;
const at = argv.indexOf('--runs');
if (at >= 0) {
  runs = Number(argv[at + 1]);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100)
    usage(`--runs takes a whole number from 1 to 100, got "${argv[at + 1] ?? ''}"`);
}
for (const a of argv) {
  if (a.startsWith('--') && !['--runs', '--fresh-install', '--keep'].includes(a)) usage(`unknown option ${a}`);
}
const freshInstall = argv.includes('--fresh-install');
const keep = argv.includes('--keep');

const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], {
  cwd: root,
  encoding: 'utf8',
}).stdout;
if (dirty.trim()) console.log(`test:repeat: uncommitted changes are not tested (the clones are of HEAD ${head}).`);

const work = mkdtempSync(join(tmpdir(), 'bagnet-repeat-'));
console.log(`test:repeat: ${runs} runs of \`npm test\` on fresh clones of ${head}; logs in ${work}\n`);

/** @param {string} cmd @param {string[]} args @param {string} cwd */
function must(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}`);
}

/**
 * `npm test` in `dir`, output into `log`; resolves with the exit status.
 * @param {string} dir @param {string} log @returns {Promise<number>}
 */
function npmTest(dir, log) {
  return new Promise((resolve) => {
    const out = createWriteStream(log);
    const child = spawn('npm', ['test'], { cwd: dir, env: { ...process.env, CI: 'true' } });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.on('close', (code) => out.end(() => resolve(code ?? 1)));
  });
}

/** @type {Map<string, number>} */
const failures = new Map();
/** @type {{ run: number, status: number, seconds: number, counts: string[] }[]} */
const results = [];

for (let i = 1; i <= runs; i++) {
  const dir = join(work, `run-${i}`);
  const log = join(work, `run-${i}.log`);
  const t0 = Date.now();
  must('git', ['clone', '--quiet', '--no-hardlinks', root, dir], work);
  if (freshInstall) must('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], dir);
  else if (existsSync(join(root, 'node_modules'))) {
    must('cp', ['-al', join(root, 'node_modules'), dir], work);
    // The clone's package-lock.json is newer than the copied install stamp: tell setup it is current.
    const now = new Date();
    utimesSync(join(dir, 'node_modules', '.package-lock.json'), now, now);
  }
  const status = await npmTest(dir, log);
  const seconds = (Date.now() - t0) / 1000;
  const text = readFileSync(log, 'utf8');
  const failed = [...text.matchAll(/^FAILED (.+)$/gm)].map((m) => m[1] ?? '');
  for (const f of new Set(failed)) failures.set(f, (failures.get(f) ?? 0) + 1);
  if (status !== 0 && failed.length === 0) {
    const key = `npm test exited with ${status} outside a test (see the log's end)`;
    failures.set(key, (failures.get(key) ?? 0) + 1);
  }
  const counts = [...text.matchAll(/^(node|browser): (\d+ passed, \d+ failed.*)$/gm)].map((m) => `${m[1]} ${m[2]}`);
  results.push({ run: i, status, seconds, counts });
  console.log(
    `run ${i}/${runs}: ${status === 0 ? 'green' : `RED (exit ${status})`} in ${(seconds / 60).toFixed(1)} min — ${counts.join('; ') || 'no test counts'}`,
  );
  if (status !== 0) console.log(text.split('\n').slice(-15).join('\n'));
  rmSync(dir, { recursive: true, force: true });
}

console.log(`\n${results.filter((r) => r.status === 0).length} of ${runs} runs green.`);
if (failures.size === 0) console.log('No test failed in any run.');
else {
  console.log('Tests that failed at least once:');
  for (const [name, n] of [...failures].sort((a, b) => b[1] - a[1])) console.log(`  ${n}/${runs}  ${name}`);
}
if (keep || failures.size > 0) console.log(`Logs: ${work}`);
else rmSync(work, { recursive: true, force: true });
process.exit(failures.size > 0 ? 1 : 0);
