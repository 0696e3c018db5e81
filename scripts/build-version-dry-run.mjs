#!/usr/bin/env node
// @ts-check
/**
 * A dry run of the release versioning: `lerna version --conventional-commits` in a throwaway clone
 * of this repository, so the working tree is never touched. The clone gets the working tree's
 * lerna.json, package-lock.json and package.json files (committed there, so that the current
 * packaging is what is versioned) and this repository's node_modules (a symlink). Prints, or
 * returns, the new version of each package and the changelog lerna would write.
 *
 * `node scripts/build-version-dry-run.mjs` — nothing is tagged, committed or pushed anywhere.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * @param {string} cmd @param {string[]} args @param {string} cwd
 * @returns {string}
 */
function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    // Keep an outer `npm test`'s npm_* settings (workspace, prefix) out of the clone.
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_'))),
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd} (exit ${r.status}):\n${out}`);
  return out;
}

/**
 * Runs the dry run. `changes` lists each package's version before and after; `manifests` holds each
 * package.json as lerna left it; `changelogs` the CHANGELOG.md it wrote per package;
 * `versionModules` the src/version.ts of each package that compiles its version in, as the
 * `version` lifecycle rewrote it; `output` is lerna's own report.
 */
export function versionDryRun() {
  const tmp = mkdtempSync(join(tmpdir(), 'bagnet-version-'));
  try {
    const clone = join(tmp, 'repo');
    run('git', ['clone', '--quiet', '--no-hardlinks', ROOT, clone], tmp);
    const packageFiles = readdirSync(join(ROOT, 'packages'))
      .map((name) => join('packages', name, 'package.json'))
      .filter((f) => existsSync(join(ROOT, f)));
    for (const file of ['lerna.json', 'package.json', 'package-lock.json', ...packageFiles]) {
      mkdirSync(join(clone, file, '..'), { recursive: true });
      cpSync(join(ROOT, file), join(clone, file));
    }
    const git = ['-c', 'user.name=version dry run', '-c', 'user.email=dry-run@localhost', '-c', 'commit.gpgsign=false'];
    run('git', ['add', '--all'], clone);
    const status = run('git', ['status', '--porcelain'], clone);
    if (status.trim() !== '') {
      run('git', [...git, 'commit', '--quiet', '--no-verify', '-m', 'chore: packaging of the working tree'], clone);
    }
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');

    const before = new Map(packageFiles.map((f) => [f, JSON.parse(readFileSync(join(clone, f), 'utf8'))]));
    const output = run(
      process.execPath,
      [
        join(ROOT, 'node_modules/lerna/dist/cli.js'),
        'version',
        '--conventional-commits',
        '--no-git-tag-version',
        '--no-push',
        '--yes',
        '--loglevel',
        'info',
      ],
      clone,
    );
    /** @type {Record<string, { version: string, dependencies?: Record<string, string> }>} */
    const manifests = {};
    const changes = packageFiles.map((f) => {
      const after = JSON.parse(readFileSync(join(clone, f), 'utf8'));
      manifests[String(after.name)] = after;
      return { name: String(after.name), from: String(before.get(f).version), to: String(after.version) };
    });
    /** @type {Record<string, string>} */
    const changelogs = {};
    for (const f of packageFiles) {
      const changelog = join(clone, f, '..', 'CHANGELOG.md');
      if (existsSync(changelog)) changelogs[String(before.get(f).name)] = readFileSync(changelog, 'utf8');
    }
    /** @type {Record<string, string>} */
    const versionModules = {};
    for (const f of packageFiles) {
      const module = join(clone, f, '..', 'src', 'version.ts');
      if (existsSync(module)) versionModules[String(before.get(f).name)] = readFileSync(module, 'utf8');
    }
    return { changes, changelogs, manifests, versionModules, output };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { changes, changelogs, output } = versionDryRun();
  process.stdout.write(output);
  console.log('\nVersions (dry run, nothing written here):');
  for (const c of changes) console.log(`  ${c.name}: ${c.from} → ${c.to}`);
  for (const [name, text] of Object.entries(changelogs)) {
    console.log(`\n--- ${name} CHANGELOG.md (first lines) ---\n${text.split('\n').slice(0, 14).join('\n')}`);
  }
}
