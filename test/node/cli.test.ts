/**
 * The `bagnet` command end to end: convert every checkpoint fixture, explain the fixture image and
 * compare the JSON with the reference (../shared/reference/make_fixture.py: PyTorch, float64
 * expected values stored as float32) within 1e-4 × max|logit map| on the CPU and WASM backends;
 * and bad inputs, which must end with exit code 1 (failure) or 2 (usage), exactly one line on
 * stderr, no stack trace and no output file or folder.
 *
 * Most runs are in-process (`run(argv, io)`, fast); a few spawn the real executable
 * (`node --conditions=source --import tsx packages/cli/src/bin.ts`) to check the process-level
 * contract: exit status, streams, no tfjs banner.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

import { useBackend } from '@bagnet-vis/core';

import { run } from '../../packages/cli/src/index.js';
import { chwToHwc, FIXTURE_QS, fixtureDir, FIXTURES, maxAbs, maxAbsDiff } from '../helpers/fixtures.js';
import { noLeaks } from '../helpers/leaks.js';
import { parseNpy } from '../helpers/npy.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'packages/cli/src/bin.ts');
const TINY_TAG = 'bagnet9_c3_s0_w0.03125_b1111';
const TINY = join(FIXTURES, 'checkpoints', TINY_TAG);
const CONVERT_FIXTURES = join(ROOT, 'packages/convert/test/fixtures');
const TOLERANCE = 1e-4; // × max|logit map|
const BACKENDS = ['cpu', 'wasm'] as const;

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `bagnet ...args` in this process. */
async function bagnet(...args: string[]): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    interactive: false,
  });
  return { code, stdout, stderr };
}

/** `bagnet ...args` as a child process. */
function spawnBagnet(...args: string[]): Result {
  const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, BAGNET_DEBUG: '' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface ExplanationJson {
  logits: number[];
  logitMap: { shape: [number, number, number]; data: number[] };
  top: { index: number; label: string; logit: number; probability: number }[];
  heatmap?: { class: number; shape: [number, number]; data: number[] };
}

let tmp: string;
before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'bagnet-cli-test-'));
  await useBackend('cpu'); // noLeaks counts tensors from the start
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** `name` in a fresh folder under the test's temporary folder. */
let counter = 0;
function tmpPath(name: string): string {
  const dir = join(tmp, String(counter++));
  mkdirSync(dir);
  return join(dir, name);
}

function npy(dir: string, name: string) {
  return parseNpy(new Uint8Array(readFileSync(join(dir, name)))) as { shape: number[]; data: Float32Array };
}

function assertParity(json: ExplanationJson, dir: string, what: string): void {
  const map = npy(dir, 'logit_map_chw_f32.npy');
  const [c, h, w] = map.shape as [number, number, number];
  assert.deepEqual(json.logitMap.shape, [h, w, c], `${what}: logitMap shape`);
  const expected = chwToHwc(map);
  const limit = TOLERANCE * maxAbs(expected);
  const mapErr = maxAbsDiff(json.logitMap.data, expected);
  assert.ok(mapErr <= limit, `${what}: logit map error ${mapErr} > ${limit}`);
  const logitErr = maxAbsDiff(json.logits, npy(dir, 'logits_f32.npy').data);
  assert.ok(logitErr <= limit, `${what}: logits error ${logitErr} > ${limit}`);
  const best = json.logits.indexOf(Math.max(...json.logits));
  assert.equal(json.top[0]!.index, best, `${what}: top-1`);
}

/**
 * Exit code; the failure is one line, the last on stderr (progress notes may precede it; with
 * `quiet` it must be the only one); no stack trace.
 */
function assertOneLineFailure(r: Result, code: 1 | 2, pattern: RegExp, what: string, quiet = false): void {
  assert.equal(r.code, code, `${what}: exit code ${r.code}, stderr ${JSON.stringify(r.stderr)}`);
  assert.ok(r.stderr.endsWith('\n'), `${what}: stderr ends with a newline`);
  const lines = r.stderr.trimEnd().split('\n');
  if (quiet) assert.equal(lines.length, 1, `${what}: stderr should be one line: ${JSON.stringify(r.stderr)}`);
  assert.equal(
    lines.filter((l) => /^bagnet\b/.test(l)).length,
    1,
    `${what}: one failure line in ${JSON.stringify(r.stderr)}`,
  );
  assert.doesNotMatch(r.stderr, /^\s+at /m, `${what}: stack trace`);
  assert.match(lines[lines.length - 1]!, pattern, what);
}

/** Neither `path` nor a temporary sibling of it exists. */
function assertNothingWritten(path: string, what: string): void {
  assert.equal(existsSync(path), false, `${what}: ${path} exists`);
  const leftovers = readdirSync(dirname(path)).filter((f) => f.startsWith(`.${basename(path)}`));
  assert.deepEqual(leftovers, [], `${what}: temporary files left`);
}

describe('bagnet convert + explain --json match the reference', () => {
  const manifest = JSON.parse(readFileSync(join(TINY, 'manifest.json'), 'utf8')) as {
    checkpoints: Record<string, unknown>;
  };
  for (const file of Object.keys(manifest.checkpoints)) {
    test(`${file} on ${BACKENDS.join(' and ')}`, async () => {
      const out = tmpPath('model');
      await noLeaks(async () => {
        const c = await bagnet('convert', join(TINY, file), '--out', out, '--input-size', '24', '-q');
        assert.equal(c.code, 0, c.stderr);
        assert.match(c.stdout, /BagNet-9 \(stride 8\), 3 classes, input 24×24/);
        for (const backend of BACKENDS) {
          const json = tmpPath('explain.json');
          const e = await bagnet(
            'explain',
            join(TINY, 'input.png'),
            '--model',
            out,
            '--json',
            json,
            '--backend',
            backend,
          );
          assert.equal(e.code, 0, e.stderr);
          assert.match(e.stderr, /24×24 px \(as is\), 2×2 patches of 9×9 px every 8 px/);
          assertParity(JSON.parse(readFileSync(json, 'utf8')) as ExplanationJson, TINY, `${file} ${backend}`);
        }
      });
    });
  }

  for (const q of FIXTURE_QS) {
    test(`BagNet-${q} (224×224, 10 classes) on ${BACKENDS.join(' and ')}, dense heatmap on wasm`, async () => {
      const dir = fixtureDir(q);
      const out = tmpPath('model');
      await noLeaks(async () => {
        const c = await bagnet('convert', join(dir, `bagnet${q}_c10_s0_w0.125_b1111.pth.tar`), '--out', out, '-q');
        assert.equal(c.code, 0, c.stderr);
        for (const backend of BACKENDS) {
          const json = tmpPath('explain.json');
          const args = ['explain', join(dir, 'input.png'), '--model', join(out, 'model.json'), '--json', json];
          if (backend === 'wasm') args.push('--dense');
          const e = await bagnet(...args, '--backend', backend, '--top', '10', '-q');
          assert.equal(e.code, 0, e.stderr);
          const result = JSON.parse(readFileSync(json, 'utf8')) as ExplanationJson;
          assertParity(result, dir, `BagNet-${q} ${backend}`);
          assert.equal(result.top.length, 10);
          assert.equal(e.stdout.trim().split('\n').length, 11, 'table: header + 10 rows');
          if (backend === 'wasm') {
            assert.ok(result.heatmap !== undefined, 'heatmap with --dense');
            const expected = npy(dir, 'heatmap_top1_f32.npy');
            assert.equal(result.heatmap.class, result.top[0]!.index);
            assert.deepEqual(result.heatmap.shape, expected.shape);
            const limit = TOLERANCE * maxAbs(chwToHwc(npy(dir, 'logit_map_chw_f32.npy')));
            const err = maxAbsDiff(result.heatmap.data, expected.data);
            assert.ok(err <= limit, `BagNet-${q} dense heatmap error ${err} > ${limit}`);
          }
        }
      });
    });
  }
});

describe('bagnet explain: resizing, classes, PNG', () => {
  let model: string;
  before(async () => {
    model = tmpPath('model'); // default input size 224: the 24×24 image is scaled up
    const c = await bagnet('convert', join(TINY, `${TINY_TAG}.pth.tar`), '--out', model, '-q');
    assert.equal(c.code, 0, c.stderr);
  });

  test('the short side goes to the input size by default, to --resize n, or stays with none', async () => {
    const shapes: [string[], number[], RegExp][] = [
      [[], [27, 27, 3], /224×224 px \(resized from 24×24\)/],
      [['--resize', '48'], [5, 5, 3], /48×48 px \(resized from 24×24\)/],
      [['--resize', 'none'], [2, 2, 3], /24×24 px \(as is\)/],
    ];
    for (const [extra, shape, note] of shapes) {
      const json = tmpPath('r.json');
      const r = await bagnet('explain', join(TINY, 'input.png'), '--model', model, '--json', json, ...extra);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, note);
      assert.deepEqual((JSON.parse(readFileSync(json, 'utf8')) as ExplanationJson).logitMap.shape, shape);
    }
  });

  test('a JPEG decodes, and a non-square image keeps its aspect ratio', async () => {
    const png = PNG.sync.read(readFileSync(join(FIXTURES, 'bagnet9_c10_s0_w0.125_b1111', 'input.png')));
    const crop = new Uint8Array(100 * 60 * 4);
    for (let y = 0; y < 60; y++) crop.set(png.data.subarray(y * 224 * 4, (y * 224 + 100) * 4), y * 100 * 4);
    const file = tmpPath('wide.jpg');
    writeFileSync(file, jpeg.encode({ data: crop, width: 100, height: 60 }, 95).data);
    const json = tmpPath('wide.json');
    const r = await bagnet('explain', file, '--model', model, '--json', json, '--resize', '30');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /50×30 px \(resized from 100×60\)/);
    assert.deepEqual((JSON.parse(readFileSync(json, 'utf8')) as ExplanationJson).logitMap.shape, [3, 6, 3]);
  });

  test('--class by index or label; --png draws the figure', async () => {
    const out = tmpPath('fig.png');
    const r = await bagnet(
      'explain',
      join(TINY, 'input.png'),
      '--model',
      model,
      '--resize',
      'none',
      '--class',
      'Class_2',
      '--png',
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    const fig = PNG.sync.read(readFileSync(out));
    assert.ok(fig.width >= 340 && fig.height > 2 * 24, `${fig.width}×${fig.height}`);
    // the overlay panel is coloured: some pixel is clearly blue (class 2 has only negative evidence)
    let blue = 0;
    for (let i = 0; i < fig.data.length; i += 4) if (fig.data[i + 2]! > fig.data[i]! + 60) blue++;
    assert.ok(blue > 500, `${blue} blue pixels`);
  });
});

describe('bagnet: bad inputs end with one line and no output', () => {
  test('convert refuses what is not a usable BagNet checkpoint (exit 1)', async () => {
    const truncated = tmpPath('truncated.pth.tar');
    writeFileSync(truncated, readFileSync(join(TINY, `${TINY_TAG}.pth.tar`)).subarray(0, 20000));
    const labels = tmpPath('labels.txt');
    writeFileSync(labels, 'a\nb\n');
    const cases: [string[], RegExp][] = [
      [[join(TINY, 'input.png')], /is not a PyTorch checkpoint: it is a PNG image/],
      [[truncated], /is truncated: storage '\d+' at byte \d+ needs \d+ bytes/],
      [[join(CONVERT_FIXTURES, 'resnet50_like.pth')], /Not a BagNet: this is a ResNet checkpoint/],
      [
        [join(CONVERT_FIXTURES, 'bagnet9_wrong_shape.pth')],
        /layer1\.0\.bn2\.running_var has shape \[3\], expected \[2\]/,
      ],
      [[join(CONVERT_FIXTURES, 'bagnet9_missing_key.pth')], /missing keys: layer3\.0\.downsample\.1\.running_mean/],
      [
        [join(CONVERT_FIXTURES, 'evil_checkpoint_zip.pth')],
        /refused global 'posix\.system' \(GLOBAL at byte \d+.*Nothing was imported or executed/,
      ],
      [[join(CONVERT_FIXTURES, 'evil_whole_model.pth')], /'torch\.nn\.modules\.linear\.Linear'/],
      [[join(tmp, 'does-not-exist.pth')], /Cannot read checkpoint '.*does-not-exist\.pth': no such file or directory/],
      [
        [join(TINY, `${TINY_TAG}.pth.tar`), '--labels', labels],
        /2 labels were given, but the checkpoint has 3 classes/,
      ],
      [[join(TINY, `${TINY_TAG}.pth.tar`), '--input-size', '8'], /Input size \[8, 8\] is invalid for a BagNet-9/],
    ];
    for (const [args, message] of cases) {
      const out = tmpPath('out');
      const r = await noLeaks(() => bagnet('convert', ...args, '--out', out));
      assertOneLineFailure(r, 1, new RegExp(`^bagnet convert: error: .*${message.source}`), args.join(' '));
      assertNothingWritten(out, args.join(' '));
    }
    assert.equal(existsSync('/tmp/bagnet_vis_unsafe_pickle_marker_checkpoint_zip'), false, 'payload ran');
  });

  test('convert will not write into a non-empty folder without --force', async () => {
    const out = tmpPath('busy');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'x');
    const r = await bagnet('convert', join(TINY, `${TINY_TAG}.pth.tar`), '--out', out);
    assertOneLineFailure(r, 1, /exists and is not empty; choose another folder or pass --force/, 'busy');
    assert.deepEqual(readdirSync(out), ['keep.txt']);
    const forced = await bagnet('convert', join(TINY, `${TINY_TAG}.pth.tar`), '--out', out, '--force', '-q');
    assert.equal(forced.code, 0, forced.stderr);
  });

  test('explain refuses undecodable, truncated and too small images (exit 1)', async () => {
    const model = tmpPath('model');
    assert.equal((await bagnet('convert', join(TINY, `${TINY_TAG}.pth.tar`), '--out', model, '-q')).code, 0);
    const garbage = tmpPath('garbage.png');
    writeFileSync(garbage, 'this is not an image');
    const pngBytes = readFileSync(join(TINY, 'input.png'));
    const truncatedPng = tmpPath('truncated.png');
    writeFileSync(truncatedPng, pngBytes.subarray(0, Math.floor(pngBytes.length / 2)));
    const jpg = jpeg.encode({ data: new Uint8Array(32 * 32 * 4).fill(128), width: 32, height: 32 }, 90).data;
    const truncatedJpg = tmpPath('truncated.jpg');
    writeFileSync(truncatedJpg, jpg.subarray(0, jpg.length - 40));
    const tiny = tmpPath('tiny.png');
    const small = new PNG({ width: 4, height: 6 });
    small.data.fill(200);
    writeFileSync(tiny, PNG.sync.write(small));
    const cases: [string[], RegExp][] = [
      [[garbage], /Cannot decode image 'garbage\.png': it is not a PNG, JPEG or WebP file \(format: unknown/],
      [[truncatedPng], /Cannot decode PNG 'truncated\.png': .*damaged or truncated/],
      [[truncatedJpg], /Cannot decode JPEG 'truncated\.jpg': the image data ends before its end marker/],
      [[tiny, '--resize', 'none'], /Image 'tiny\.png' is 4×6 px, smaller than the model's receptive field q = 9 px/],
      [[tiny, '--resize', '5'], /--resize 5 is smaller than the model's receptive field q = 9/],
      [[join(TINY, 'input.png'), '--class', '7'], /--class 7 is out of range: the model has 3 classes/],
      [[join(TINY, 'input.png'), '--class', 'cat'], /--class 'cat' is not a label of this model/],
      [[join(tmp, 'missing.png')], /Cannot read image '.*missing\.png': no such file or directory/],
    ];
    for (const [args, message] of cases) {
      const json = tmpPath('out.json');
      const png = tmpPath('out.png');
      const r = await noLeaks(() => bagnet('explain', ...args, '--model', model, '--json', json, '--png', png));
      assertOneLineFailure(r, 1, new RegExp(`^bagnet explain: error: .*${message.source}`), args.join(' '));
      assertNothingWritten(json, args.join(' '));
      assertNothingWritten(png, args.join(' '));
    }
    const noModel = await bagnet('explain', join(TINY, 'input.png'), '--model', join(tmp, 'nope', 'model.json'));
    assertOneLineFailure(noModel, 1, /Could not read model .*nope\/model\.json: ENOENT/, 'missing model');
  });

  test('usage errors exit with 2', async () => {
    const ckpt = join(TINY, `${TINY_TAG}.pth.tar`);
    const cases: [string[], RegExp][] = [
      [
        ['convert', ckpt, '--out', tmpPath('o'), '--bogus'],
        /^bagnet convert: Unknown option '--bogus'.*see 'bagnet convert --help'/,
      ],
      [['convert', ckpt], /^bagnet convert: Missing --out <dir>/],
      [['convert', '--out', tmpPath('o')], /^bagnet convert: Missing <checkpoint>/],
      [['convert', ckpt, 'extra', '--out', tmpPath('o')], /Unexpected argument 'extra'/],
      [
        ['convert', ckpt, '--out', tmpPath('o'), '--stage-strides', '2,2,2'],
        /--stage-strides expects 4 comma-separated numbers/,
      ],
      [['convert', ckpt, '--out', tmpPath('o'), '--mean', '0.5,0.5,0.5'], /--mean and --std go together/],
      [['explain', 'x.png'], /^bagnet explain: Missing --model <model\.json>/],
      [['explain', 'x.png', '--model', 'm', '--top', '0'], /--top expects an integer ≥ 1, got '0'/],
      // A negative number is the option's value, not an "ambiguous" flag.
      [['explain', 'x.png', '--model', 'm', '--top', '-3'], /^bagnet explain: --top expects an integer ≥ 1, got '-3'/],
      [['explain', 'x.png', '--model', 'm', '--resize', 'big'], /--resize expects an integer from 1 to 4096/],
      [
        ['explain', 'x.png', '--model', 'm', '--backend', 'webgl'],
        /--backend must be wasm or cpu in Node, got 'webgl' \(a browser backend\)/,
      ],
      [['info'], /^bagnet info: Missing <model\.json>/],
      [['bench', '--q', '10'], /--q must be 9, 17 or 33/],
      [['fit'], /^bagnet: unknown command 'fit'; commands: convert, explain, mine, merge, train, info, bench/],
      [[], /^Usage: bagnet <command>/],
    ];
    for (const [args, message] of cases) {
      const r = await bagnet(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      if (args.length > 0) assert.equal(r.stderr.trim().split('\n').length, 1, args.join(' '));
    }
  });

  test("explain --help quotes the model's patch size and stride when --model is given", async () => {
    const general = await bagnet('explain', '--help');
    assert.match(general.stdout, /one per q×q patch, every stride px/);
    assert.doesNotMatch(general.stdout, /every 8 px/);
    const model = join(ROOT, 'packages/models/default');
    const specific = await bagnet('explain', '--help', '--model', model);
    assert.equal(specific.code, 0);
    assert.match(specific.stdout, /one per 13×13 patch, every 2 px for this model/);
    const unreadable = await bagnet('explain', '--help', '--model', join(model, 'nope.json'));
    assert.equal(unreadable.code, 0);
    assert.match(unreadable.stdout, /The help above is general: --model could not be read: ENOENT/);
  });

  test('--help for every command (exit 0, on stdout)', async () => {
    for (const args of [
      ['--help'],
      ['convert', '--help'],
      ['explain', '-h'],
      ['info', '--help'],
      ['bench', '--help'],
      ['mine', '--help'],
      ['merge', '-h'],
      ['help', 'explain'],
    ]) {
      const r = await bagnet(...args);
      assert.equal(r.code, 0, args.join(' '));
      assert.match(r.stdout, /^Usage: bagnet/, args.join(' '));
      assert.equal(r.stderr, '');
    }
  });
});

describe('bagnet info', () => {
  test('describes a converted model and checks its shards', async () => {
    const model = tmpPath('model');
    const c = await bagnet('convert', join(CONVERT_FIXTURES, 'bagnet9_c1000_f16.pth'), '--out', model, '-q');
    assert.equal(c.code, 0, c.stderr);
    const r = await bagnet('info', model);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /receptive field\s+q = 9 px \(BagNet-9\), stride 8 px/);
    assert.match(r.stdout, /classes\s+1000: 'tench', 'goldfish', 'great white shark', …, 'toilet tissue'/);
    assert.match(r.stdout, /source\s+bagnet9_c1000_f16\.pth/);
    assert.match(r.stdout, /sha256\s+[0-9a-f]{64}/);
    const json = await bagnet('info', join(model, 'model.json'), '--json');
    assert.equal((JSON.parse(json.stdout) as { labels: string[] }).labels[281], 'tabby');
    const shard = readdirSync(model).find((f) => f.endsWith('.bin'))!;
    writeFileSync(join(model, shard), readFileSync(join(model, shard)).subarray(0, 100));
    assertOneLineFailure(
      await bagnet('info', model),
      1,
      /hold 100 bytes, but the manifest describes \d+: they are truncated/,
      'shard',
    );
  });
});

describe('the bagnet executable', () => {
  test('convert and explain as child processes: streams, exit codes, no tfjs banner', () => {
    const out = tmpPath('spawned');
    const c = spawnBagnet('convert', join(TINY, `${TINY_TAG}_zip.pth.tar`), '--out', out, '--input-size', '24');
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /model\.json: BagNet-9/);
    assert.match(c.stderr, /reading .* with the safe unpickler/);
    const json = tmpPath('spawned.json');
    const e = spawnBagnet('explain', join(TINY, 'input.png'), '--model', out, '--json', json, '--backend', 'cpu');
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, /^rank\s+class\s+label\s+logit\s+probability\n\s+1\s+0\s+class 0/);
    assert.doesNotMatch(e.stderr + e.stdout, /Hi, looks like you are running TensorFlow\.js/);
    assertParity(JSON.parse(readFileSync(json, 'utf8')) as ExplanationJson, TINY, 'spawned');
  });

  test('failures: exit status 1 and 2, one line, no stack trace', () => {
    const out = tmpPath('spawned-bad');
    assertOneLineFailure(
      spawnBagnet('convert', join(CONVERT_FIXTURES, 'resnet50_like.pth'), '--out', out, '--quiet'),
      1,
      /^bagnet convert: error: Not a BagNet: this is a ResNet checkpoint/,
      'resnet',
      true,
    );
    assertNothingWritten(out, 'resnet');
    assertOneLineFailure(
      spawnBagnet('explain', 'x.png', '--nope'),
      2,
      /^bagnet explain: Unknown option '--nope'/,
      'flag',
    );
  });
});
