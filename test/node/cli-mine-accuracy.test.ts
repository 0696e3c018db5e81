/**
 * `bagnet mine --robust <px>`: clean and certified accuracy over a labelled folder, end to end on
 * the default model and its 50 labelled sample images (Fashion-MNIST test images, labels from
 * samples.json). The test lays the samples out as class folders (ImageFolder layout: labels,
 * indices and folder-safe spellings such as T-shirt_top) and as a flat folder with a labels CSV,
 * each upscaled 2× (nearest neighbour) so the 13 px patches leave room for certificates, and runs
 * the command with --resize none on the WASM backend (as core here: the same kernels, the same numbers).
 *
 * The expected counts are computed here, independently of mine's code path: each PNG decoded with
 * pngjs, core's BagNet.evidence and patchRobustness, and the papers' rules written out (clean:
 * prediction = truth; certified: the certificate's top class = truth and certified). Nothing
 * depends on the current weights: the patch size is the first of 1, 2, 4, 8 px at which the model
 * certifies some images and not others.
 *
 * Also: a resumed run and two merged shards count the same; bad truth (an unknown class folder, a
 * labels file naming a missing image, --truth without --robust) ends with one line, each followed
 * by a good run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';

import { parseMinedPatches, patchRobustness, useBackend } from '@bagnet-vis/core';
import type { BagNet, ClassAccuracy, RobustnessMethod } from '@bagnet-vis/core';
import { loadBagNetFromDisk } from '@bagnet-vis/core/node';

import { noLeaks } from '../helpers/leaks.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'packages/cli/bin/bagnet.js');
const MODEL = join(ROOT, 'packages/models/default');
const SAMPLES = join(ROOT, 'packages/models/samples');

interface Sample {
  readonly file: string;
  readonly label: number;
}
const META = JSON.parse(readFileSync(join(SAMPLES, 'samples.json'), 'utf8')) as {
  labels: string[];
  samples: Sample[];
};
const LABELS = META.labels;
/** Class folder names: a label as it is, its index, or a folder-safe spelling. */
const FOLDER: Record<string, string> = { 'T-shirt/top': 'T-shirt_top', Bag: '8', 'Ankle boot': 'ankle-boot' };
const folderOf = (label: number) => FOLDER[LABELS[label]!] ?? LABELS[label]!;

let tmp: string;
let net: BagNet;
/** The upscaled samples: file name → RGB pixels. */
const pixels = new Map<string, Uint8Array>();
const SIDE = 56;

function upscaled(file: string): Buffer {
  const src = PNG.sync.read(readFileSync(join(SAMPLES, file)));
  const out = new PNG({ width: SIDE, height: SIDE });
  const rgb = new Uint8Array(SIDE * SIDE * 3);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const s = (Math.floor((y * src.height) / SIDE) * src.width + Math.floor((x * src.width) / SIDE)) * 4;
      const d = y * SIDE + x;
      for (let c = 0; c < 3; c++) out.data[d * 4 + c] = rgb[d * 3 + c] = src.data[s + c]!;
      out.data[d * 4 + 3] = 255;
    }
  }
  pixels.set(file, rgb);
  return PNG.sync.write(out);
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'bagnet-mine-accuracy-'));
  for (const s of META.samples) {
    const png = upscaled(s.file);
    mkdirSync(join(tmp, 'classes', folderOf(s.label)), { recursive: true });
    writeFileSync(join(tmp, 'classes', folderOf(s.label), s.file), png);
    mkdirSync(join(tmp, 'flat'), { recursive: true });
    writeFileSync(join(tmp, 'flat', s.file), png);
  }
  // The CSV names classes by label and by index, in another order than the folder's.
  const lines = META.samples.map((s, i) => `${s.file},${i % 2 === 0 ? LABELS[s.label]! : String(s.label)}`);
  writeFileSync(join(tmp, 'flat', 'labels.csv'), `file,label\n${lines.reverse().join('\n')}\n`);
  await useBackend('wasm');
  net = await loadBagNetFromDisk(MODEL);
});
after(() => {
  net.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function bagnet(args: readonly string[]): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const mine = (input: string, out: string, extra: readonly string[] = []) =>
  bagnet([
    'mine',
    input,
    '--model',
    MODEL,
    '--out',
    out,
    '--resize',
    'none',
    '--backend',
    'wasm',
    '--top',
    '2',
    '-q',
    ...extra,
  ]);

/** Per class, the counts the papers' rules give for `patchPx` and `method`, through core directly. */
async function expected(patchPx: number, method: RobustnessMethod): Promise<ClassAccuracy[]> {
  const rows = LABELS.map((label, classIndex) => ({
    classIndex,
    label,
    images: 0,
    correct: 0,
    defendedCorrect: 0,
    certified: 0,
  }));
  await noLeaks(async () => {
    for (const s of META.samples) {
      const image = tf.tensor3d(Int32Array.from(pixels.get(s.file)!), [SIDE, SIDE, 3], 'int32');
      const evidence = await net.evidence(image);
      image.dispose();
      const r = await patchRobustness(evidence, { patchPx, method });
      const row = rows[s.label]!;
      row.images++;
      if (evidence.logits.indexOf(Math.max(...evidence.logits)) === s.label) row.correct++;
      if (r.defendedClass === s.label) row.defendedCorrect++;
      if (r.topClass === s.label && r.certified) row.certified++;
      evidence.dispose();
    }
  });
  return rows;
}

const sum = (rows: readonly ClassAccuracy[], key: 'images' | 'correct' | 'defendedCorrect' | 'certified') =>
  rows.reduce((a, r) => a + r[key], 0);

describe('bagnet mine --robust', () => {
  test('counts clean and certified accuracy per class from class folders and from a labels file', async () => {
    // A patch size at which this model's certificates go both ways on these images.
    let patchPx = 0;
    let mask: ClassAccuracy[] = [];
    for (const p of [1, 2, 4, 8]) {
      mask = await expected(p, 'mask');
      const certified = sum(mask, 'certified');
      if (certified > 0 && certified < sum(mask, 'correct')) {
        patchPx = p;
        break;
      }
    }
    assert.ok(patchPx > 0, 'the model certifies some but not all correct images at one of 1, 2, 4, 8 px');

    // Bad truth first, each followed by a good run through the same surface.
    mkdirSync(join(tmp, 'bad', 'Hats'), { recursive: true });
    mkdirSync(join(tmp, 'bad', 'Coat'), { recursive: true });
    copyFileSync(join(tmp, 'flat', META.samples[0]!.file), join(tmp, 'bad', 'Hats', 'a.png'));
    copyFileSync(join(tmp, 'flat', META.samples[1]!.file), join(tmp, 'bad', 'Coat', 'b.png'));
    const unknown = mine('bad', 'bad.json', ['--robust', String(patchPx)]);
    assert.equal(unknown.code, 1);
    assert.equal(
      unknown.stderr,
      "bagnet mine: error: --truth folders: class folder 'Hats' names no class of the model; the model's labels are " +
        `${LABELS.map((l) => `'${l}'`).join(', ')} (or their indices 0–9). Rename the folder or give --truth a labels file.\n`,
    );
    writeFileSync(join(tmp, 'flat', 'missing.csv'), `${META.samples[0]!.file},Bag\nnot-there.png,Coat\n`);
    const missing = mine('flat', 'bad.json', [
      '--robust',
      String(patchPx),
      '--truth',
      join(tmp, 'flat', 'missing.csv'),
    ]);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /^bagnet mine: error: missing\.csv line 2 names 'not-there\.png', which is not one of the 50 images given .*Remove the entry or add the image\.\n$/,
    );
    const usage = mine('flat', 'bad.json', ['--truth', 'folders']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^bagnet mine: --truth needs --robust <px>/);

    // Class folders, robust masking.
    const folders = mine('classes', 'folders.json', ['--robust', String(patchPx)]);
    assert.equal(folders.code, 0, folders.stderr);
    const file = parseMinedPatches(readFileSync(join(tmp, 'folders.json'), 'utf8'), 'folders.json');
    assert.deepEqual(file.run.robustness?.method, 'mask');
    assert.equal(file.run.robustness?.patchPx, patchPx);
    assert.match(file.run.robustness!.truth, /^class folders; sha256:[0-9a-f]{64}$/);
    assert.deepEqual(file.accuracy!.perClass, mask);
    const total = { images: 50, correct: sum(mask, 'correct'), certified: sum(mask, 'certified') };
    assert.deepEqual(file.accuracy!.total, { ...total, defendedCorrect: sum(mask, 'defendedCorrect') });
    const pct = (n: number) => `${((100 * n) / 50).toFixed(1)} % (${n}/50)`;
    assert.ok(
      folders.stdout.includes(
        `robust masking (PatchGuard), ${patchPx}×${patchPx} px patch anywhere; true classes from class folders:\n` +
          `  clean accuracy ${pct(total.correct)} undefended, ${pct(sum(mask, 'defendedCorrect'))} defended; ` +
          `certified accuracy ${pct(total.certified)}\n`,
      ),
      folders.stdout,
    );
    const coat = mask[4]!;
    assert.match(
      folders.stdout,
      new RegExp(`^  Coat +${coat.images} +${coat.correct} +${coat.defendedCorrect} +${coat.certified}$`, 'm'),
    );

    // A labels file on a flat folder, clipping: the same images, so the same counts as core's.
    const clip = mine('flat', 'clip.json', [
      '--robust',
      String(patchPx),
      '--robust-method',
      'clip',
      '--truth',
      'flat/labels.csv',
    ]);
    assert.equal(clip.code, 0, clip.stderr);
    const clipFile = parseMinedPatches(readFileSync(join(tmp, 'clip.json'), 'utf8'), 'clip.json');
    assert.match(clipFile.run.robustness!.truth, /^labels file labels\.csv; sha256:/);
    assert.deepEqual(clipFile.accuracy!.perClass, await expected(patchPx, 'clip'));
  });

  test('a resumed run and merged shards count the same as one run', () => {
    const robust = ['--robust', '2'];
    const one = mine('classes', 'one.json', robust);
    assert.equal(one.code, 0, one.stderr);
    const a = readFileSync(join(tmp, 'one.json'), 'utf8');
    for (const i of [0, 1]) {
      const part = mine('classes', 'part-{shard}.json', [...robust, '--shard', `${i}/2`]);
      assert.equal(part.code, 0, part.stderr);
    }
    const merged = bagnet(['merge', 'part-0.json', 'part-1.json', '--out', 'merged.json', '-q']);
    assert.equal(merged.code, 0, merged.stderr);
    assert.equal(readFileSync(join(tmp, 'merged.json'), 'utf8'), a);

    // Interrupted at a damaged image (#30 in list order), mended, resumed: the same file, with the
    // counts of the first 30 images carried over.
    const list = META.samples.map((s) => `classes/${folderOf(s.label)}/${s.file}`).sort((x, y) => (x < y ? -1 : 1));
    writeFileSync(join(tmp, 'list.txt'), `${list.join('\n')}\n`);
    const damaged = join(tmp, list[30]!);
    const good = readFileSync(damaged);
    writeFileSync(damaged, 'not an image');
    const stopped = mine('list.txt', 'resumed.json', robust);
    assert.equal(stopped.code, 1);
    const partial = parseMinedPatches(readFileSync(join(tmp, 'resumed.json'), 'utf8'), 'resumed.json');
    assert.equal(partial.done, 30);
    assert.equal(partial.accuracy!.total.images, 30);
    writeFileSync(damaged, good);
    const resumed = mine('list.txt', 'resumed.json', robust);
    assert.equal(resumed.code, 0, resumed.stderr);
    const full = mine('list.txt', 'full.json', robust);
    assert.equal(full.code, 0, full.stderr);
    assert.equal(readFileSync(join(tmp, 'resumed.json'), 'utf8'), readFileSync(join(tmp, 'full.json'), 'utf8'));
    // The list holds the folder's images in the folder's order: the same counts as the folder run.
    assert.deepEqual(
      parseMinedPatches(readFileSync(join(tmp, 'full.json'), 'utf8'), 'full.json').accuracy,
      parseMinedPatches(a, 'one.json').accuracy,
    );
    // Another patch size is another run: refused without --force.
    const clash = mine('list.txt', 'resumed.json', ['--robust', '4']);
    assert.equal(clash.code, 1);
    assert.match(clash.stderr, /holds the result of another run/);
  });
});
