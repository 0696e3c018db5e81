#!/usr/bin/env node
// @ts-check
/**
 * First-run setup, Node built-ins only (it runs before dependencies exist): installs the
 * dependencies with `npm ci` when node_modules is missing or older than package-lock.json, and
 * with --browser makes sure Chromium is there for the browser tests (installs Debian's `chromium`
 * with apt-get when running as root, else prints the command to run). It also makes sure the
 * `bagnet` command is linked (node_modules/.bin/bagnet), so `npx --no-install bagnet` works next:
 * a node_modules copied from another checkout may lack the link, and relinking it needs no
 * download (`npm rebuild --ignore-scripts` only links the workspace's bin).
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

if (process.argv.includes('--browser')) {
  const candidates = [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
  if (!candidates.some((p) => p && existsSync(p))) {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (!isRoot) {
      console.error(
        '[setup] Chromium is needed for the browser tests. Install it with:\n\n  sudo apt-get install -y chromium\n\nor set CHROME_PATH to a Chrome/Chromium binary.',
      );
      process.exit(1);
    }
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', 'chromium']);
  }
  try {
    execFileSync(candidates.find((p) => p && existsSync(p)) ?? '/usr/bin/chromium', ['--version'], { stdio: 'ignore' });
  } catch {
    console.error('[setup] Chromium is installed but does not start; check `chromium --version`.');
    process.exit(1);
  }
}
