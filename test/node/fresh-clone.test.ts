/**
 * The README's promise, checked on a clone: `git clone`, the setup step that `npm start` and
 * `npm test` run first (scripts/setup.mjs), then `npx --no-install bagnet --help` works — the
 * command is linked by the install and nothing is looked up on the package registry
 * (npm_config_offline=true makes any registry request fail).
 *
 * The clone gets this checkout's node_modules as a hard-linked copy (about a second, no download)
 * with node_modules/.bin/bagnet removed, so setup has to link the command itself. That copy stands
 * for an install of the clone's package-lock.json only when this checkout's node_modules is one
 * (setup's own rule: npm's stamp node_modules/.package-lock.json is newer than the lock, the lock
 * is the same as the clone's, and the install linked bagnet) — true in CI, which installs from
 * scratch. Otherwise the test is skipped with the reason: the honest alternative, `npm ci
 * --offline` in the clone, takes ~2 minutes on 2 cores. The clone holds what is committed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { SpawnSyncOptions } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let tmp: string | undefined;
let clone: string;

/** Why this checkout's node_modules cannot stand for an install of the committed lock, if so. */
function staleInstall(): string | undefined {
  const lock = join(ROOT, 'package-lock.json');
  const stamp = join(ROOT, 'node_modules/.package-lock.json');
  if (!existsSync(stamp)) return 'node_modules is not installed';
  if (statSync(stamp).mtimeMs < statSync(lock).mtimeMs) return 'node_modules is older than package-lock.json';
  if (!existsSync(join(ROOT, 'node_modules/.bin/bagnet'))) return 'node_modules has no bagnet link';
  const committed = spawnSync('git', ['show', 'HEAD:package-lock.json'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (committed.stdout !== readFileSync(lock, 'utf8')) return 'package-lock.json has uncommitted changes';
  return undefined;
}
const STALE = staleInstall();

function sh(cmd: string, args: string[], options: SpawnSyncOptions = {}): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: 120_000,
    ...options,
    env: { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false', ...options.env },
  });
  return { code: r.status ?? -1, out: String(r.stdout), err: String(r.stderr) };
}

/** Why the test cannot run here after all (found while preparing the clone), if so. */
let unavailable: string | undefined;

before(() => {
  if (STALE !== undefined) return;
  tmp = mkdtempSync(join(tmpdir(), 'bagnet-clone-'));
  clone = join(tmp, 'bagnet-vis');
  const g = sh('git', ['clone', '-q', ROOT, clone]);
  assert.equal(g.code, 0, g.err);
  const cp = sh('cp', ['-al', join(ROOT, 'node_modules'), join(clone, 'node_modules')]);
  if (cp.code !== 0) {
    // e.g. the temporary folder is on another file system than this checkout: no hard links.
    unavailable = `cannot hard-link node_modules into ${tmp}: ${cp.err.trim().split('\n')[0]}`;
    return;
  }
  rmSync(join(clone, 'node_modules/.bin/bagnet'), { force: true });
  // The clone's lock was written just now; so is its stamp. A copy, not a link: touching the
  // hard-linked file would change this checkout's stamp too.
  const stamp = join(clone, 'node_modules/.package-lock.json');
  rmSync(stamp);
  copyFileSync(join(ROOT, 'node_modules/.package-lock.json'), stamp);
  const now = new Date(Date.now() + 2000);
  utimesSync(stamp, now, now);
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('fresh clone: setup links bagnet, `npx --no-install bagnet --help` runs it offline', { skip: STALE }, (t) => {
  if (unavailable !== undefined) return t.skip(unavailable);
  const setup = sh(process.execPath, ['scripts/setup.mjs'], { cwd: clone });
  assert.equal(setup.code, 0, `setup failed:\n${setup.out}\n${setup.err}`);
  assert.ok(existsSync(join(clone, 'node_modules/.bin/bagnet')), 'node_modules/.bin/bagnet is linked');

  const help = sh('npx', ['--no-install', 'bagnet', '--help'], { cwd: clone });
  assert.equal(help.code, 0, help.err);
  assert.match(help.out, /^Usage: bagnet <command> \[options\]/);
  for (const command of ['convert', 'explain', 'mine', 'merge', 'train', 'info', 'bench'])
    assert.match(help.out, new RegExp(`^  ${command} `, 'm'));

  // A usage error still ends as the contract says, then a good call through the same surface.
  const bad = sh('npx', ['--no-install', 'bagnet', 'explain', 'x.png', '--model', 'm', '--top', '-3'], { cwd: clone });
  assert.equal(bad.code, 2);
  assert.equal(bad.err, "bagnet explain: --top expects an integer ≥ 1, got '-3' (see 'bagnet explain --help')\n");
  // A good call after it: the linked command runs the clone's own sources (not this checkout's, not a build).
  const info = sh('npx', ['--no-install', 'bagnet', 'info', 'packages/models/default'], { cwd: clone });
  assert.equal(info.code, 0, info.err);
  assert.match(info.out, new RegExp(`^model +${join(clone, 'packages/models/default/model.json')}$`, 'm'));
  assert.match(info.out, /receptive field +q = 13 px \(BagNet-13\), stride 2 px/);
});
