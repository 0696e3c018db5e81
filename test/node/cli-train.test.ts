/**
 * `bagnet train` end to end: a scratch class-folder tree built from the committed sample images
 * (packages/models/samples: 50 held-out Fashion-MNIST test images, 5 per class) in a temporary
 * folder, relabelled into 3 classes (shoes / tops / trousers-and-bags); the head of the shipped
 * default model (packages/models/default) is fine-tuned on the WASM backend, and the written model
 * is reloaded and checked. Bad inputs end with exit code 1 (failure) or 2 (usage), one line on
 * stderr, and nothing written.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

import { useBackend } from '@bagnet-vis/core';
import type { BagNet } from '@bagnet-vis/core';
import { loadBagNetFromDisk } from '@bagnet-vis/core/node';

import { run } from '../../packages/cli/src/index.js';
import { noLeaks } from '../helpers/leaks.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLES = join(ROOT, 'packages/models/samples');
const MODEL = join(ROOT, 'packages/models/default/model.json');

/** Fashion-MNIST class → new class folder. */
// T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot
const FOLDER_OF = [
  'tops',
  'trousers-and-bags',
  'tops',
  'tops',
  'tops',
  'shoes',
  'tops',
  'shoes',
  'trousers-and-bags',
  'shoes',
];
const CLASSES = ['shoes', 'tops', 'trousers-and-bags']; // sorted: the default class order

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function bagnet(...args: string[]): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), interactive: false });
  return { code, stdout, stderr };
}

const samples = (
  JSON.parse(readFileSync(join(SAMPLES, 'samples.json'), 'utf8')) as { samples: { file: string; label: number }[] }
).samples;

let tmp: string;
let tree: string;

/** A class-folder tree with every sample (one of them as a JPEG) and a stray text file. */
function makeTree(dir: string): void {
  for (const [i, s] of samples.entries()) {
    const folder = join(dir, FOLDER_OF[s.label]!);
    mkdirSync(folder, { recursive: true });
    if (i === 0) {
      const png = PNG.sync.read(readFileSync(join(SAMPLES, s.file)));
      const jpg = jpeg.encode({ data: png.data, width: png.width, height: png.height }, 95).data;
      writeFileSync(join(folder, s.file.replace(/\.png$/, '.jpg')), jpg);
    } else copyFileSync(join(SAMPLES, s.file), join(folder, s.file));
  }
  writeFileSync(join(dir, 'shoes', 'notes.txt'), 'not an image');
}

/** A tree with the given classes, each with a few copies of sample images. */
function smallTree(name: string, classes: readonly string[]): string {
  const dir = join(tmp, name);
  for (const [k, c] of classes.entries()) {
    mkdirSync(join(dir, c), { recursive: true });
    for (const s of samples.slice(k * 3, k * 3 + 3)) copyFileSync(join(SAMPLES, s.file), join(dir, c, s.file));
  }
  return dir;
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'bagnet-cli-train-'));
  tree = join(tmp, 'images');
  makeTree(tree);
  await useBackend('wasm'); // noLeaks counts tensors from the start
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Exit code; one failure line, the last on stderr (the only one with -q); no stack trace. */
function assertOneLineFailure(r: Result, code: 1 | 2, pattern: RegExp, what: string): void {
  assert.equal(r.code, code, `${what}: exit code ${r.code}, stderr ${JSON.stringify(r.stderr)}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${what}: stderr should be one line: ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0]!, /^bagnet train: /, what);
  assert.match(lines[0]!, pattern, what);
  assert.doesNotMatch(r.stderr, /^\s+at /m, `${what}: stack trace`);
  assert.equal(r.stdout, '', `${what}: stdout`);
}

/** Neither `path` nor a temporary sibling of it exists. */
function assertNothingWritten(path: string, what: string): void {
  assert.equal(existsSync(path), false, `${what}: ${path} exists`);
  const leftovers = readdirSync(dirname(path)).filter((f) => f.startsWith(`.${basename(path)}`));
  assert.deepEqual(leftovers, [], `${what}: temporary files left`);
}

describe('bagnet train', () => {
  test('fine-tunes the head on class folders; the written model knows the new classes', async () => {
    const out = join(tmp, 'tuned');
    const r = await noLeaks(() =>
      bagnet('train', tree, '--model', MODEL, '--out', out, '--epochs', '15', '--seed', '3'),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /^50 images in 3 classes: shoes \(15\), tops \(25\), trousers-and-bags \(10\); skipped 1 non-image entry \(shoes\/notes\.txt\)$/m,
    );
    assert.match(r.stderr, /fine-tuning the head of BagNet-13 \(10 classes → 3\) on the wasm backend/);
    const epochs = r.stderr.split('\n').filter((l) => l.startsWith('epoch'));
    assert.equal(epochs.length, 15);
    assert.match(
      epochs[0]!,
      /^epoch {2}1\/15 {2}loss \d\.\d{4} {2}accuracy +\d+\.\d % {2}held-out loss \d\.\d{4} {2}accuracy +\d+\.\d % {2}ETA \d+ s$/,
    );
    assert.match(epochs[14]!, /^epoch 15\/15 .* ETA 0 s$/);
    const summary = r.stdout.trim();
    assert.match(
      summary,
      /model\.json: BagNet-13 with a new head for 3 classes \(shoes, tops, trousers-and-bags\); training accuracy [\d.]+ % on 40 images, held-out accuracy [\d.]+ % on 10$/,
    );
    const [train, held] = [...summary.matchAll(/accuracy ([\d.]+) %/g)].map((m) => Number(m[1]));
    console.log(`  bagnet train: training accuracy ${train} %, held-out ${held} % (3 classes)`);
    assert.ok(train! >= 95 && held! >= 80, summary);

    const model: BagNet = await loadBagNetFromDisk(out);
    try {
      assert.deepEqual(model.labels, CLASSES);
      assert.match(model.metadata.provenance.notes ?? '', /Trained by 'bagnet train'/);
      let correct = 0;
      for (const s of samples) {
        const png = PNG.sync.read(readFileSync(join(SAMPLES, s.file)));
        const ev = await model.evidence({ data: new Uint8Array(png.data), width: png.width, height: png.height });
        if (model.labels[ev.topClasses(1)[0]!.index] === FOLDER_OF[s.label]) correct++;
        ev.dispose();
      }
      assert.ok(correct >= 47, `${correct} of 50 samples right`);
    } finally {
      model.dispose();
    }
  });

  test('--labels sets the class order; -q prints only the result', async () => {
    const labels = join(tmp, 'labels.txt');
    writeFileSync(labels, 'tops\ntrousers-and-bags\nshoes\n');
    const out = join(tmp, 'ordered');
    const r = await bagnet(
      'train',
      tree,
      '--model',
      MODEL,
      '--out',
      out,
      '--labels',
      labels,
      '--epochs',
      '3',
      '--val',
      '0',
      '-q',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /held-out accuracy n\/a on 0\n$/);
    const model = await loadBagNetFromDisk(out);
    assert.deepEqual(model.labels, ['tops', 'trousers-and-bags', 'shoes']);
    model.dispose();
  });

  test('bad inputs: one line, exit 1 (failure) or 2 (usage), nothing written', async () => {
    const out = join(tmp, 'never');
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    const oneClass = smallTree('one-class', ['shoes']);
    const emptyClass = smallTree('empty-class', ['shoes', 'tops']);
    mkdirSync(join(emptyClass, 'bags'));
    writeFileSync(join(emptyClass, 'bags', 'readme.md'), '# no images');
    const loose = smallTree('loose', ['shoes', 'tops']);
    copyFileSync(join(SAMPLES, samples[0]!.file), join(loose, 'stray.png'));
    const broken = smallTree('broken', ['shoes', 'tops']);
    writeFileSync(join(broken, 'tops', 'zz-broken.png'), Buffer.from('\x89PNG\r\n\x1a\n garbage', 'binary'));
    const gif = smallTree('gif', ['shoes', 'tops']);
    writeFileSync(join(gif, 'shoes', 'anim.jpg'), 'GIF89a....');
    const unreadable = smallTree('unreadable', ['shoes', 'tops']);
    const locked = join(unreadable, 'tops', readdirSync(join(unreadable, 'tops'))[0]!);
    chmodSync(locked, 0o000);
    const canLock = (() => {
      try {
        readFileSync(locked);
        return false; // running as root: permissions are not enforced
      } catch {
        return true;
      }
    })();
    const tiny = smallTree('tiny', ['shoes', 'tops']);
    const small = new PNG({ width: 8, height: 8 });
    writeFileSync(join(tiny, 'tops', 'small.png'), PNG.sync.write(small));
    const labels = join(tmp, 'wrong-labels.txt');
    writeFileSync(labels, 'shoes\nboots\n');
    const full = join(tmp, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'keep.txt'), 'x');

    const train = ['train', '--model', MODEL, '--out', out, '-q'];
    const failures: [string[], 1 | 2, RegExp][] = [
      [[...train, join(tmp, 'missing')], 1, /Cannot read training folder '.*missing': no such file or directory\./],
      [[...train, join(tree, 'shoes', 'notes.txt')], 1, /training folder '.*notes\.txt' is a file; give a folder/],
      [[...train, empty], 1, /has no class folders: a classifier needs at least two classes/],
      [[...train, oneClass], 1, /has only one class folder \('shoes'\)/],
      [[...train, emptyClass], 1, /Class folder '.*bags' has no PNG or JPEG images/],
      [[...train, loose], 1, /holds images directly \(stray\.png\): put each class in its own subfolder/],
      [[...train, broken], 1, /Cannot decode PNG 'tops\/zz-broken\.png'/],
      [
        [...train, gif],
        1,
        /Cannot decode image 'shoes\/anim\.jpg': it is not a PNG, JPEG or WebP file \(format: a GIF image\)/,
      ],
      [
        [...train, tiny, '--resize', 'none'],
        1,
        /Image 'tops\/small\.png' is 8×8 px, smaller than the model's receptive field q = 13 px/,
      ],
      [
        [...train, tree, '--labels', labels],
        1,
        /--labels '.*wrong-labels\.txt' does not match the class folders: no folder for 'boots'; folders 'tops', 'trousers-and-bags' not in the labels/,
      ],
      [[...train, tree, '--labels', join(tmp, 'nope.txt')], 1, /Cannot read labels '.*nope\.txt': no such file/],
      [
        ['train', tree, '--model', join(tmp, 'nope.json'), '--out', out, '-q'],
        1,
        /Could not read model .*nope\.json: ENOENT/,
      ],
      [['train', tree, '--model', MODEL, '--out', full, '-q'], 1, /--out '.*full' exists and is not empty/],
      [['train', tree, '--out', out], 2, /Missing --model <model\.json>/],
      [['train', tree, '--model', MODEL], 2, /Missing --out <dir>/],
      [['train', '--model', MODEL, '--out', out], 2, /Missing <folder>/],
      [[...train, tree, '--epochs', '0'], 2, /--epochs expects an integer ≥ 1, got '0'/],
      [[...train, tree, '--val', '1'], 2, /--val expects a fraction from 0 to below 1, got '1'/],
      [[...train, tree, '--lr=-0.1'], 2, /--lr expects a positive number, got '-0\.1'/],
      [[...train, tree, '--l2', 'x'], 2, /--l2 expects a number ≥ 0, got 'x'/],
      [
        [...train, tree, '--backend', 'webgl'],
        2,
        /--backend must be wasm or cpu in Node, got 'webgl' \(a browser backend\)/,
      ],
      [[...train, tree, '--bogus'], 2, /Unknown option '--bogus'/],
    ];
    if (canLock) failures.push([[...train, unreadable], 1, /Cannot read image '.*tops\/.*\.png': permission denied\./]);
    await noLeaks(async () => {
      for (const [args, code, pattern] of failures) {
        const what = args
          .filter((a) => a !== '-q')
          .slice(-2)
          .join(' ');
        assertOneLineFailure(await bagnet(...args), code, pattern, what);
        assertNothingWritten(out, what);
      }
    });
    chmodSync(locked, 0o644);
    assert.deepEqual(readdirSync(full), ['keep.txt']);
  });

  test('--help', async () => {
    const r = await bagnet('train', '--help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: bagnet train <folder> --model <model\.json\|dir> --out <dir>/);
    const all = await bagnet('--help');
    assert.match(all.stdout, /\n {2}train {4}fine-tune the head on a folder of labelled images/);
  });
});
