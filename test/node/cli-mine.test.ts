/**
 * `bagnet mine` and `bagnet merge` end to end on the default model and its 50 sample images: four
 * shards run as four processes and merged give byte for byte the file of one unsharded run; an
 * interrupted run resumes from its partial output to the same file; memory stays flat as the image
 * count grows (child processes, peak RSS); `--shard auto` reads Kubernetes and Slurm indices; and
 * bad inputs end with one line and exit code 1 or 2, each followed by a good run.
 *
 * test-lane: heavy — four CLI processes at once (scripts/test-node.mjs runs it in lane 1, which
 * balances the lanes: lane 2 is followed by the browser suite).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { PNG } from 'pngjs';

import { parseMinedPatches } from '@bagnet-vis/core';

import { parseShard } from '../../packages/cli/src/mine/shard.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'packages/cli/bin/bagnet.js');
const MODEL = join(ROOT, 'packages/models/default');
const SAMPLES = join(ROOT, 'packages/models/samples');

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'bagnet-mine-test-'));
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function bagnet(args: readonly string[], env: Record<string, string> = {}): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: tmp,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function bagnetAsync(args: readonly string[]): Promise<Result> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: tmp });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

const MINE = ['mine', SAMPLES, '--model', MODEL, '--top', '3', '-q'];

describe('bagnet mine + merge', () => {
  test('4 shards as 4 processes, merged, equal one unsharded run byte for byte', async () => {
    const one = bagnet([...MINE, '--out', 'one.json']);
    assert.equal(one.code, 0, one.stderr);
    const shards = await Promise.all(
      [0, 1, 2, 3].map((i) => bagnetAsync([...MINE, '--shard', `${i}/4`, '--out', 'part-{shard}.json'])),
    );
    for (const s of shards) assert.equal(s.code, 0, s.stderr);
    const merged = bagnet([
      'merge',
      'part-0.json',
      'part-1.json',
      'part-2.json',
      'part-3.json',
      '--out',
      'merged.json',
    ]);
    assert.equal(merged.code, 0, merged.stderr);
    const a = readFileSync(join(tmp, 'one.json'), 'utf8');
    assert.equal(readFileSync(join(tmp, 'merged.json'), 'utf8'), a);

    // The file is what core parses: every class, k patches per order, paths relative to the file.
    const file = parseMinedPatches(a, 'one.json');
    assert.equal(file.done, 50);
    assert.equal(file.results.length, 10);
    for (const c of file.results) {
      assert.equal(c.most.length, 3);
      assert.ok(c.most[0]!.logit >= c.most[2]!.logit && c.least[0]!.logit <= c.least[2]!.logit);
      assert.ok(existsSync(join(tmp, c.most[0]!.image)), c.most[0]!.image);
    }
    // Each part alone is a smaller set: a part's best patch never beats the whole set's.
    const part = parseMinedPatches(readFileSync(join(tmp, 'part-1.json'), 'utf8'), 'part-1.json');
    assert.deepEqual(part.shard, { index: 1, count: 4 });
    assert.equal(part.done, 13);
    for (const [i, c] of part.results.entries()) assert.ok(c.most[0]!.logit <= file.results[i]!.most[0]!.logit);

    // Merging an incomplete set, or parts of another run, fails with one line; then a good merge.
    const missing = bagnet(['merge', 'part-0.json', 'part-1.json', 'part-3.json', '--out', 'bad.json']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'bagnet merge: error: Shard 2/4 missing: merge all 4 shards.\n');
    const other = bagnet([...MINE.slice(0, -3), '--top', '2', '-q', '--shard', '2/4', '--out', 'other-2.json']);
    assert.equal(other.code, 0, other.stderr);
    const mixed = bagnet(['merge', 'part-0.json', 'part-1.json', 'other-2.json', 'part-3.json', '--out', 'bad.json']);
    assert.equal(mixed.code, 1);
    assert.match(
      mixed.stderr,
      /^bagnet merge: error: other-2\.json is from another run than part-0\.json: its k \(3 vs 2\) differs/,
    );
    assert.ok(!existsSync(join(tmp, 'bad.json')));
    const again = bagnet([
      'merge',
      'part-3.json',
      'part-2.json',
      'part-1.json',
      'part-0.json',
      '--out',
      'merged.json',
      '--force',
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(readFileSync(join(tmp, 'merged.json'), 'utf8'), a);
  });

  test("the samples' mined file shipped for the demo and <patch-gallery> is what bagnet mine writes now", () => {
    const shipped = parseMinedPatches(readFileSync(join(SAMPLES, 'mined.json'), 'utf8'), 'samples/mined.json');
    const r = bagnet(['mine', SAMPLES, '--model', MODEL, '--top', '8', '-q', '--out', 'samples-mined.json']);
    assert.equal(r.code, 0, r.stderr);
    const fresh = parseMinedPatches(readFileSync(join(tmp, 'samples-mined.json'), 'utf8'), 'samples-mined.json');
    // Image paths (and so the list's fingerprint) are relative to each file's folder.
    const portable = (f: typeof fresh) =>
      JSON.stringify({ ...f, run: { ...f.run, list: '' } }, (key, value: unknown) =>
        key === 'image' ? (value as string).split('/').pop() : value,
      );
    assert.equal(
      portable(shipped),
      portable(fresh),
      'regenerate: npx --no-install bagnet mine packages/models/samples --model packages/models/default --out packages/models/samples/mined.json --top 8',
    );
    assert.ok(shipped.results.every((c) => c.most.every((p) => !p.image.includes('/'))));
  });

  test('an interrupted run resumes from its partial output to the same result', () => {
    // 200 images (the samples listed four times); image 101 is damaged at first, which stops the
    // run after saving its partial output — an interruption at a known place, whatever the
    // machine's speed (a kill on a timer finished all 200 first on an idle machine). Then the
    // file is mended under the same name and the run resumes.
    const names = readdirSync(SAMPLES).filter((n) => n.endsWith('.png'));
    const list = Array.from({ length: 4 }, () => names.map((n) => join(SAMPLES, n))).flat();
    const late = join(tmp, 'late.png');
    list[100] = late;
    writeFileSync(join(tmp, 'list.txt'), `# four rounds of the samples\n${list.join('\n')}\n`);
    writeFileSync(late, 'not an image yet');
    const args = ['mine', 'list.txt', '--model', MODEL, '--top', '3', '--classes', '0,Sneaker', '-q'];
    const partial = join(tmp, 'resumed.json');
    const interrupted = bagnet([...args, '--out', 'resumed.json', '--checkpoint', '1']);
    assert.equal(interrupted.code, 1, interrupted.stderr);
    assert.match(interrupted.stderr, /late\.png/);
    const done = parseMinedPatches(readFileSync(partial, 'utf8'), 'resumed.json').done;
    assert.equal(done, 100, `interrupted with ${done} of 200 images done`);

    copyFileSync(join(SAMPLES, names[0]!), late);
    const full = bagnet([...args, '--out', 'full.json']);
    assert.equal(full.code, 0, full.stderr);

    const resumed = bagnet([...args.slice(0, -1), '--out', 'resumed.json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /^resuming resumed\.json: 100 of 200 images done$/m);
    assert.equal(readFileSync(partial, 'utf8'), readFileSync(join(tmp, 'full.json'), 'utf8'));

    // Another run's output is not overwritten without --force; with it, it is.
    const clash = bagnet([...args, '--top', '2', '--out', 'resumed.json']);
    assert.equal(clash.code, 1);
    assert.match(clash.stderr, /^bagnet mine: error: --out 'resumed\.json' holds the result of another run .*--force/);
    const forced = bagnet([...args, '--top', '2', '--out', 'resumed.json', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(parseMinedPatches(readFileSync(partial, 'utf8'), 'resumed.json').run.k, 2);
  });

  test('memory stays flat as the image count grows (peak RSS of child processes)', (t) => {
    // Large images (1600×1200 px: 7.7 MB decoded) so that keeping any would show: 10× the images
    // must not raise the peak by more than 120 MB (measured: ~40 MB of GC slack; keeping the images would add ~400 MB of RGBA alone).
    const png = new PNG({ width: 1600, height: 1200 });
    for (let i = 0; i < png.data.length; i++) png.data[i] = (i * 2654435761) >>> 24;
    writeFileSync(join(tmp, 'large.png'), PNG.sync.write(png));
    const peak = (n: number) => {
      writeFileSync(join(tmp, `large-${n}.txt`), `${Array.from({ length: n }, () => 'large.png').join('\n')}\n`);
      const script = `
        import { run } from ${JSON.stringify(new URL('../../packages/cli/src/index.ts', import.meta.url).href)};
        const started = Date.now();
        const code = await run(['mine', ${JSON.stringify(join(tmp, `large-${n}.txt`))}, '--model', ${JSON.stringify(MODEL)}, '--out', ${JSON.stringify(join(tmp, `large-${n}.json`))}, '-q']);
        process.stdout.write("\\n" + JSON.stringify({ code, maxRSS: process.resourceUsage().maxRSS, ms: Date.now() - started }));`;
      const r = spawnSync(
        process.execPath,
        ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script],
        { cwd: ROOT, encoding: 'utf8' },
      );
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { code: number; maxRSS: number; ms: number };
    };
    const small = peak(6);
    const large = peak(60);
    assert.equal(small.code, 0);
    assert.equal(large.code, 0);
    const growthMB = (large.maxRSS - small.maxRSS) / 1024;
    t.diagnostic(
      `peak RSS ${(small.maxRSS / 1024).toFixed(0)} MB for 6 images, ${(large.maxRSS / 1024).toFixed(0)} MB for 60; ${(large.ms / 60).toFixed(0)} ms per image`,
    );
    assert.ok(growthMB < 120, `peak RSS ${small.maxRSS / 1024} MB for 6 images, ${large.maxRSS / 1024} MB for 60`);
    // Time budget: decoding and resizing a 2-megapixel image stays well under a second each.
    assert.ok(large.ms / 60 < 1000, `${large.ms / 60} ms per image`);
    assert.equal(parseMinedPatches(readFileSync(join(tmp, 'large-60.json'), 'utf8'), 'large-60.json').done, 60);
  });

  test('--shard auto reads Kubernetes Indexed Jobs and Slurm job arrays', () => {
    assert.deepEqual(parseShard('auto', { JOB_COMPLETION_INDEX: '2', JOB_COMPLETIONS: '4' }), { index: 2, count: 4 });
    assert.deepEqual(parseShard('auto', { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4' }), {
      index: 3,
      count: 4,
    });
    assert.deepEqual(
      parseShard('auto', {
        SLURM_ARRAY_TASK_ID: '7',
        SLURM_ARRAY_TASK_MIN: '1',
        SLURM_ARRAY_TASK_STEP: '2',
        SLURM_ARRAY_TASK_COUNT: '5',
      }),
      { index: 3, count: 5 },
    );
    assert.throws(() => parseShard('auto', {}), /--shard auto found no scheduler index/);
    assert.throws(() => parseShard('auto', { JOB_COMPLETION_INDEX: '0' }), /JOB_COMPLETIONS is not/);
    assert.throws(() => parseShard('auto', { JOB_COMPLETION_INDEX: '4', JOB_COMPLETIONS: '4' }), /not below/);
    assert.throws(() => parseShard('4/4'), /--shard expects i\/n with 0 ≤ i < n/);
    assert.deepEqual(parseShard('0/1'), { index: 0, count: 1 });

    // Through the command: the index from the environment names the output.
    const r = bagnet([...MINE, '--shard', 'auto', '--out', 'k8s-{shard}.json'], {
      JOB_COMPLETION_INDEX: '3',
      JOB_COMPLETIONS: '4',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(parseMinedPatches(readFileSync(join(tmp, 'k8s-3.json'), 'utf8'), 'k8s-3.json').shard, {
      index: 3,
      count: 4,
    });
  });

  test('usage errors say what was expected; then a good run', () => {
    const cases: [string[], RegExp][] = [
      [[...MINE, '--out', 'x.json', '--top', '-3'], /^bagnet mine: --top expects an integer from 1 to 10000, got '-3'/],
      [[...MINE, '--out', 'x.json', '--shard', '1/1'], /^bagnet mine: --shard expects i\/n with 0 ≤ i < n/],
      [[...MINE, '--out', 'x-{shard}.json'], /^bagnet mine: --out contains '\{shard\}' but no --shard is given/],
      [['mine', SAMPLES, '--model', MODEL], /^bagnet mine: Missing --out <mined\.json>/],
      [[...MINE, '--out', 'x.json', '--classes', '3,3'], /^bagnet mine: --classes names a class twice/],
    ];
    for (const [args, message] of cases) {
      const r = bagnet(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    const bad = bagnet(['mine', join(tmp, 'nothing-here'), '--model', MODEL, '--out', 'x.json']);
    assert.equal(bad.code, 1);
    assert.equal(
      bad.stderr,
      `bagnet mine: error: Cannot read '${join(tmp, 'nothing-here')}': no such file or folder.\n`,
    );
    assert.ok(!existsSync(join(tmp, 'x.json')));
    const good = bagnet([...MINE, '--out', 'x.json', '--classes', 'Sneaker,0']);
    assert.equal(good.code, 0, good.stderr);
    assert.deepEqual(parseMinedPatches(readFileSync(join(tmp, 'x.json'), 'utf8'), 'x.json').run.classes, [7, 0]);
  });
});
