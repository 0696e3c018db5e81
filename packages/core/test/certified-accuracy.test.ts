/**
 * Clean and certified accuracy counts: per true class, from patchRobustness certificates on
 * synthetic evidence maps (whose certificates differ from image to image: certified and right,
 * certified and wrong, right but not certified); resumed and sharded counts add up to one run's,
 * through mined-patches files and their merge; bad counts in a file are refused, then a good file
 * is read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

import {
  accuracyRate,
  BagNetFormatError,
  BagNetInputError,
  CertifiedAccuracyTally,
  EvidenceMap,
  mergeMinedPatches,
  MINED_PATCHES_FORMAT,
  MINED_PATCHES_VERSION,
  minedClassRecords,
  minerFrom,
  parseMinedPatches,
  patchRobustness,
  PatchGeometry,
  shardIndices,
} from '@bagnet-vis/core';
import type { MinedPatchesFile, PatchRobustness, ShardSpec } from '@bagnet-vis/core';

import { seededStates } from '../../../test/helpers/images.js';

const IMAGES = 24;
const LABELS = ['a', 'b', 'c'];
const ROWS = 6;
const COLS = 5;

/** Image i's map: class i mod 3 gets a boost that grows with i (none for the first few), plus noise. */
function map(i: number): EvidenceMap {
  const logitMap = new Float32Array(ROWS * COLS * LABELS.length);
  const next = seededStates(77 + i * 7919);
  for (let j = 0; j < logitMap.length; j++) {
    logitMap[j] = ((next() >>> 16) % 1000) / 250 - 1.5 + (j % 3 === i % 3 ? (i / IMAGES) * 6 : 0);
  }
  return new EvidenceMap({
    logitMap,
    geometry: new PatchGeometry(9, 8, 9 + 8 * (ROWS - 1), 9 + 8 * (COLS - 1), ROWS, COLS),
    labels: LABELS,
    bias: new Float32Array(LABELS.length),
  });
}

/** True class of image i: mostly the boosted class, every fifth image another one. */
const truth = (i: number) => (i % 5 === 4 ? (i + 1) % 3 : i % 3);

interface Outcome {
  readonly prediction: number;
  readonly certificate: PatchRobustness;
}

async function outcomes(): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (let i = 0; i < IMAGES; i++) {
    const e = map(i);
    out.push({
      prediction: e.topClasses(1)[0]!.index,
      certificate: await patchRobustness(e, { patchPx: 1, method: 'mask' }),
    });
    e.dispose();
  }
  return out;
}

const RUN: MinedPatchesFile['run'] = {
  model: 'sha256:test',
  receptiveField: 9,
  stride: 8,
  preprocessing: 'synthetic maps',
  images: IMAGES,
  list: 'sha256:list',
  k: 2,
  classes: [0, 1, 2],
  robustness: { method: 'mask', patchPx: 1, threshold: 0, truth: 'synthetic' },
};

describe('certified accuracy', () => {
  it('counts per true class what the certificates say, and adds up across resumes and shards', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const all = await outcomes();

    // Written out independently of the tally: the papers' rules.
    const expected = LABELS.map(() => ({ images: 0, correct: 0, defendedCorrect: 0, certified: 0 }));
    all.forEach(({ prediction, certificate }, i) => {
      const row = expected[truth(i)]!;
      row.images++;
      row.correct += prediction === truth(i) ? 1 : 0;
      row.defendedCorrect += certificate.defendedClass === truth(i) ? 1 : 0;
      row.certified += certificate.topClass === truth(i) && certificate.certified ? 1 : 0;
    });
    // The data exercise every case: certified and right, certified but wrong, right but not certified.
    const cases = all.map(({ prediction, certificate: c }, i) => [
      c.certified,
      c.topClass === truth(i),
      prediction === truth(i),
    ]);
    assert.ok(
      cases.some(([cert, right]) => cert && right),
      'an image certified and right',
    );
    assert.ok(
      cases.some(([cert, right]) => cert && !right),
      'an image certified for the wrong class',
    );
    assert.ok(
      cases.some(([cert, , right]) => !cert && right),
      'an image right but not certified',
    );

    const tally = new CertifiedAccuracyTally(LABELS);
    all.forEach(({ prediction, certificate }, i) => tally.add(truth(i), prediction, certificate));
    const whole = tally.result();
    assert.deepEqual(
      whole.perClass,
      expected.map((c, classIndex) => ({ classIndex, label: LABELS[classIndex], ...c })),
    );
    assert.equal(whole.total.images, IMAGES);
    assert.equal(
      whole.total.certified,
      expected.reduce((a, c) => a + c.certified, 0),
    );
    assert.equal(accuracyRate(whole.total, 'certified'), whole.total.certified / IMAGES);
    assert.ok(Number.isNaN(accuracyRate({ images: 0, correct: 0, defendedCorrect: 0, certified: 0 }, 'correct')));

    // As mined-patches files: a run interrupted after 9 images and resumed, and 3 shards merged,
    // give the unsharded file's counts.
    const file = (shard: ShardSpec | undefined, upTo = Infinity, from?: MinedPatchesFile): MinedPatchesFile => {
      const todo = shardIndices(IMAGES, shard);
      const miner = minerFrom(RUN, from === undefined ? [] : [from]);
      const t = new CertifiedAccuracyTally(LABELS, from?.accuracy === undefined ? [] : [from.accuracy]);
      let done = from?.done ?? 0;
      for (; done < Math.min(todo.length, upTo); done++) {
        const i = todo[done]!;
        const e = map(i);
        miner.add(i, e);
        e.dispose();
        t.add(truth(i), all[i]!.prediction, all[i]!.certificate);
      }
      return {
        format: MINED_PATCHES_FORMAT,
        version: MINED_PATCHES_VERSION,
        run: RUN,
        ...(shard === undefined ? {} : { shard }),
        done,
        results: minedClassRecords(miner, (s) => `img-${s}.png`, LABELS),
        accuracy: t.result(),
      };
    };
    const one = file(undefined);
    assert.deepEqual(one.accuracy, whole);
    const partial = parseMinedPatches(JSON.stringify(file(undefined, 9)), 'partial.json');
    assert.equal(partial.accuracy!.total.images, 9);
    assert.deepEqual(file(undefined, Infinity, partial), one);
    const parts = [0, 1, 2].map((index) => file({ index, count: 3 }));
    assert.deepEqual(mergeMinedPatches(parts), one);
    assert.deepEqual(parseMinedPatches(JSON.stringify(one), 'one.json'), one);

    // Parts counted against another patch size are another run.
    assert.throws(
      () =>
        mergeMinedPatches(
          [parts[0]!, { ...parts[1]!, run: { ...RUN, robustness: { ...RUN.robustness!, patchPx: 2 } } }, parts[2]!],
          ['p0.json', 'p1.json', 'p2.json'],
        ),
      (e: unknown) =>
        e instanceof BagNetInputError && /^p1\.json is from another run than p0\.json: its robustness/.test(e.message),
    );
    assert.equal(tf.memory().numTensors, before);
  });

  it('refuses bad class indices and bad counts in a file; then reads a good one', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const e = map(3);
    const certificate = await patchRobustness(e, { patchPx: 1, method: 'clip' });
    e.dispose();
    const tally = new CertifiedAccuracyTally(LABELS);
    assert.throws(() => tally.add(3, 0, certificate), /true class 3 is not a class of this model \(0–2\)/);
    assert.throws(() => tally.add(0, -1, certificate), /prediction -1 is not a class/);
    assert.throws(() => new CertifiedAccuracyTally(['x', 'y'], [tally.result()]), BagNetInputError);
    tally.add(0, 0, certificate);

    const good = {
      format: MINED_PATCHES_FORMAT,
      version: MINED_PATCHES_VERSION,
      run: RUN,
      done: 1,
      results: [0, 1, 2].map((classIndex) => ({ classIndex, label: LABELS[classIndex], most: [], least: [] })),
      accuracy: tally.result(),
    };
    const bad = (patch: object, message: RegExp) =>
      assert.throws(
        () => parseMinedPatches(JSON.stringify({ ...good, ...patch }), 'bad.json'),
        (err: unknown) => err instanceof BagNetFormatError && message.test(err.message),
      );
    const row0 = good.accuracy.perClass[0]!;
    bad({ accuracy: undefined }, /"accuracy" and "run.robustness" come together/);
    bad({ run: { ...RUN, robustness: { ...RUN.robustness, method: 'median' } } }, /"run.robustness" must be/);
    bad(
      { accuracy: { ...good.accuracy, perClass: [{ ...row0, certified: 2 }, ...good.accuracy.perClass.slice(1)] } },
      /perClass\[0\]" counts more than its images/,
    );
    bad(
      { accuracy: { ...good.accuracy, total: { ...good.accuracy.total, correct: 0 } } },
      /"accuracy.total" must be the sum of perClass/,
    );
    bad({ done: 0 }, /"accuracy.total.images" must equal "done"/);
    assert.deepEqual(parseMinedPatches(JSON.stringify(good), 'good.json').accuracy, tally.result());
    assert.equal(tf.memory().numTensors, before);
  });
});
