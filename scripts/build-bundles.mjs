#!/usr/bin/env node
// @ts-check
/**
 * The package build, for tests that need built files: `tsc -b` of every package project (dist/
 * with .d.ts; the test project is not compiled) and then rollup (cdn/ bundles, see
 * rollup.config.mjs). Rollup runs only when a dist/ file, a package.json or the rollup config is
 * newer than the oldest bundle, or when `force` is set. As a command (`node
 * scripts/build-bundles.mjs [--force]`) it prints the build output.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Package folders that have a tsconfig.json (all of packages/*). */
export function packageDirs() {
  return readdirSync(join(ROOT, 'packages'))
    .map((name) => join(ROOT, 'packages', name))
    .filter((dir) => existsSync(join(dir, 'tsconfig.json')));
}

/** @param {string} dir @param {(name: string) => boolean} keep @returns {string[]} */
function filesUnder(dir, keep) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && keep(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** Whether some input of rollup is newer than its oldest output (or an output is missing). */
function bundlesStale() {
  const outputs = packageDirs().flatMap((dir) => filesUnder(join(dir, 'cdn'), (n) => n.endsWith('.js')));
  if (outputs.length === 0) return true;
  const oldest = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
  const inputs = [
    join(ROOT, 'rollup.config.mjs'),
    ...packageDirs().flatMap((dir) => [
      join(dir, 'package.json'),
      ...filesUnder(join(dir, 'dist'), (n) => n.endsWith('.js')),
    ]),
  ];
  return inputs.some((f) => statSync(f).mtimeMs > oldest);
}

/**
 * @param {string} cmd @param {string[]} args
 * @returns {string}
 */
function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${out}`);
  return out;
}

/**
 * Builds what is out of date. Returns the combined output and whether rollup ran.
 * @param {{ force?: boolean }} [options]
 */
export function buildPackages({ force = false } = {}) {
  const bin = (/** @type {string} */ p) => join(ROOT, 'node_modules', p);
  let log = run(process.execPath, [
    bin('typescript/bin/tsc'),
    '-b',
    ...packageDirs().map((d) => join(d, 'tsconfig.json')),
  ]);
  const stale = force || bundlesStale();
  if (stale) log += run(process.execPath, [bin('rollup/dist/bin/rollup'), '-c', 'rollup.config.mjs']);
  return { log, rollup: stale };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { log, rollup } = buildPackages({ force: process.argv.includes('--force') });
  process.stdout.write(rollup ? log : `${log}cdn bundles are up to date (--force rebuilds them).\n`);
}
