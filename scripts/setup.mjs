#!/usr/bin/env node
// @ts-check
/**
 * First-run setup, Node built-ins only (it runs before dependencies exist): installs the
 * dependencies with `npm ci` when node_modules is missing or older than package-lock.json; with
 * --browser makes sure Chromium is there for the browser tests, and with --dataset that Debian's
 * Fashion-MNIST test images are there for the model accuracy test (installs the Debian packages
 * `chromium` / `dataset-fashion-mnist` with apt-get when running as root, else prints the
 * command). It also makes sure the `bagnet` command is linked (node_modules/.bin/bagnet), so
 * `npx --no-install bagnet` works next: a node_modules copied from another checkout may lack the
 * link, and relinking it needs no download (`npm rebuild --ignore-scripts` only links the
 * workspace's bin).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lock = join(root, 'package-lock.json');
const stamp = join(root, 'node_modules', '.package-lock.json');

function run(cmd, args) {
  console.log(`[setup] ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`[setup] "${cmd} ${args.join(' ')}" failed with exit code ${r.status}.`);
    process.exit(r.status ?? 1);
  }
}

if (!existsSync(stamp) || statSync(lock).mtimeMs > statSync(stamp).mtimeMs + 1000) {
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

const bagnetBin = join(root, 'node_modules', '.bin', 'bagnet');
if (!existsSync(bagnetBin)) {
  run('npm', ['rebuild', '@bagnet-vis/cli', '--ignore-scripts', '--offline', '--no-audit', '--no-fund']);
  if (!existsSync(bagnetBin)) {
    console.error('[setup] node_modules/.bin/bagnet is still missing: reinstall with `npm ci`.');
    process.exit(1);
  }
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const chromiumCandidates = [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
/** Where Debian's dataset-fashion-mnist puts the test set the accuracy test reads. */
const FASHION_MNIST = ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'].map((f) =>
  join('/usr/share/datasets/fashion-mnist', f),
);

/** Debian packages this run needs and lacks: [package, why]. */
const missing = /** @type {[string, string][]} */ ([]);
if (process.argv.includes('--browser') && !chromiumCandidates.some((p) => p && existsSync(p))) {
  missing.push([
    'chromium',
    'Chromium is needed for the browser tests (or set CHROME_PATH to a Chrome/Chromium binary)',
  ]);
}
if (process.argv.includes('--dataset') && !FASHION_MNIST.every((p) => existsSync(p))) {
  missing.push(['dataset-fashion-mnist', 'the Fashion-MNIST test set is needed for the model accuracy test']);
}
if (missing.length > 0) {
  const names = missing.map(([p]) => p);
  if (!isRoot) {
    console.error(
      `[setup] ${missing.map(([, why]) => why).join('; ')}. Install with:\n\n  sudo apt-get install -y ${names.join(' ')}\n`,
    );
    process.exit(1);
  }
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', ...names]);
}

if (process.argv.includes('--browser')) {
  try {
    execFileSync(chromiumCandidates.find((p) => p && existsSync(p)) ?? '/usr/bin/chromium', ['--version'], {
      stdio: 'ignore',
    });
  } catch {
    console.error('[setup] Chromium is installed but does not start; check `chromium --version`.');
    process.exit(1);
  }
}
if (process.argv.includes('--dataset') && !FASHION_MNIST.every((p) => existsSync(p))) {
  console.error(`[setup] dataset-fashion-mnist is installed but ${FASHION_MNIST.join(' / ')} are missing.`);
  process.exit(1);
}
