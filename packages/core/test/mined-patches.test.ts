/**
 * Mined-patches files: sharding, merging and resuming give exactly the unsharded result — on
 * synthetic evidence maps with many tied values, so the tie rule (image, row, col) is exercised —
 * and bad files and bad merges are refused with messages that say what to do.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  BagNetFormatError,
  BagNetInputError,
  EvidenceMap,
  mergeMinedPatches,
  MINED_PATCHES_FORMAT,
  MINED_PATCHES_VERSION,
  minedClassRecords,
  minedPatchRect,
  minerFrom,
  parseMinedPatches,
  PatchGeometry,
  shardIndices,
  shardSize,
} from '@bagnet-vis/core';
import type { MinedPatchesFile, ShardSpec } from '@bagnet-vis/core';

import { seededStates } from '../../../test/helpers/images.js';

const IMAGES = 41;
const CLASSES = 3;
const LABELS = ['a', 'b', 'c'];

/** Image i's 5 × 4 map, values on a 0.5 grid (many ties across images and cells). */
function map(i: number): EvidenceMap {
  const rows = 5;
  const cols = 4;
  const logitMap = new Float32Array(rows * cols * CLASSES);
  const next = seededStates(1000 + i * 7919);
  for (let j = 0; j < logitMap.length; j++) logitMap[j] = ((next() >>> 24) % 9) * 0.5 - 2;
  return new EvidenceMap({
    logitMap,
    geometry: new PatchGeometry(9, 8, 9 + 8 * (rows - 1), 9 + 8 * (cols - 1), rows, cols),
    labels: LABELS,
    bias: new Float32Array(CLASSES),
  });
}

const RUN: MinedPatchesFile['run'] = {
  model: 'sha256:test',
  receptiveField: 9,
  stride: 8,
  preprocessing: 'synthetic maps',
  shortSide: 41,
  images: IMAGES,
  list: 'sha256:list',
  k: 4,
  classes: [2, 0],
};
const path = (i: number) => `img-${i}.png`;

/** What one process writes for `shard`, after its first `upTo` images (all by default). */
function mine(shard: ShardSpec | undefined, upTo = Infinity, from?: MinedPatchesFile): MinedPatchesFile {
  const todo = shardIndices(IMAGES, shard);
  const miner = minerFrom(RUN, from === undefined ? [] : [from]);
  let done = from?.done ?? 0;
  for (; done < Math.min(todo.length, upTo); done++) miner.add(todo[done]!, map(todo[done]!));
  return {
    format: MINED_PATCHES_FORMAT,
    version: MINED_PATCHES_VERSION,
    run: RUN,
    ...(shard === undefined ? {} : { shard }),
    done,
    results: minedClassRecords(miner, path, LABELS),
  };
}

describe('mined-patches files', () => {
  it('4 shards merged, and a resumed run, equal one unsharded run exactly', () => {
    const whole = mine(undefined);
    assert.equal(whole.done, IMAGES);
    assert.deepEqual(
      whole.results.map((r) => r.classIndex),
      [2, 0],
    );
    const parts = [0, 1, 2, 3].map((index) => mine({ index, count: 4 }));
    assert.deepEqual(
      parts.map((p) => p.done),
      [11, 10, 10, 10],
    );
    assert.deepEqual(mergeMinedPatches(parts), whole);
    assert.deepEqual(mergeMinedPatches([...parts].reverse()), whole);
    // Round trip through JSON and the parser.
    assert.deepEqual(parseMinedPatches(JSON.stringify(whole), 'whole.json'), whole);

    // Ties are real here: some kept patches share a logit, ranked by image, then row, then column.
    const most = whole.results[0]!.most;
    assert.ok(
      most.some((p, i) => i > 0 && p.logit === most[i - 1]!.logit),
      'the data has ties',
    );
    for (let i = 1; i < most.length; i++) {
      const [a, b] = [most[i - 1]!, most[i]!];
      assert.ok(a.logit > b.logit || (a.logit === b.logit && (a.source < b.source || a.source === b.source)));
    }

    // Interrupted after 17 images, resumed from the file: the same result.
    const partial = mine(undefined, 17);
    assert.equal(partial.done, 17);
    assert.deepEqual(mine(undefined, Infinity, parseMinedPatches(JSON.stringify(partial), 'partial.json')), whole);
    // A shard resumed too.
    assert.deepEqual(mine({ index: 1, count: 4 }, Infinity, mine({ index: 1, count: 4 }, 3)), parts[1]);
  });

  it('split: image i goes to shard i mod n; sizes add up', () => {
    assert.deepEqual(shardIndices(10, { index: 1, count: 4 }), [1, 5, 9]);
    assert.equal(
      [0, 1, 2, 3].map((index) => shardSize(IMAGES, { index, count: 4 })).reduce((a, b) => a + b),
      IMAGES,
    );
    assert.throws(() => shardIndices(10, { index: 4, count: 4 }), BagNetInputError);
    assert.deepEqual(shardIndices(3, undefined), [0, 1, 2]);
  });

  it('refuses bad merges with a message that says what to do; then a good merge', () => {
    const parts = [0, 1, 2].map((index) => mine({ index, count: 3 }));
    const names = ['p0.json', 'p1.json', 'p2.json'];
    const refuses = (files: MinedPatchesFile[], message: RegExp) =>
      assert.throws(
        () => mergeMinedPatches(files, names),
        (e: unknown) => e instanceof BagNetInputError && message.test(e.message),
      );
    refuses([parts[0]!, parts[2]!], /^Shard 1\/3 missing: merge all 3 shards\.$/);
    refuses([parts[0]!, parts[0]!, parts[2]!], /^p1\.json and p0\.json are both shard 0\/3\.$/);
    refuses(
      [parts[0]!, mine({ index: 1, count: 3 }, 5), parts[2]!],
      /^p1\.json is unfinished: 5 of its 14 images are done\. Run its shard again to resume it\.$/,
    );
    refuses(
      [parts[0]!, { ...parts[1]!, run: { ...RUN, k: 3 } }, parts[2]!],
      /^p1\.json is from another run than p0\.json: its k \(4 vs 3\) differs/,
    );
    refuses([parts[0]!, { ...parts[1]!, run: { ...RUN, model: 'sha256:other' } }, parts[2]!], /its model .* differs/);
    refuses([], /no files to merge/);
    assert.deepEqual(mergeMinedPatches(parts, names), mine(undefined));
  });

  it('parses only well-formed files, naming the first bad field; then a good file', () => {
    const good = JSON.stringify(mine({ index: 0, count: 2 }));
    const bad = (text: string, message: RegExp) =>
      assert.throws(
        () => parseMinedPatches(text, 'f.json'),
        (e: unknown) => e instanceof BagNetFormatError && message.test(e.message),
      );
    bad('{', /^f\.json is not valid JSON/);
    bad('[]', /"format" must be "bagnet-mined-patches" \(write one with `bagnet mine`\)/);
    bad(good.replace('"version":1', '"version":2'), /"version" is 2/);
    bad(good.replace('"k":4', '"k":0'), /"run" needs/);
    bad(good.replace('"done":21', '"done":22'), /"done" must be an integer from 0 to 21/);
    bad(
      good.replace('"size":9', '"size":8'),
      /results\[0\]\.most\[0\] must be \{image, source < 41, row, col, x, y, size: 9, logit\}/,
    );
    bad(good.replace('"classIndex":2', '"classIndex":1'), /results\[0\] must be \{classIndex: 2, label, most, least\}/);
    assert.equal(parseMinedPatches(good, 'f.json').done, 21);
  });

  it('maps a patch back to its image when the run resized it', () => {
    const p = mine(undefined).results[0]!.most[0]!;
    // The run resized images to a short side of 41 px; this image's short side is 82.
    assert.deepEqual(minedPatchRect(p, RUN, 123, 82), { x: p.x * 2, y: p.y * 2, width: 18, height: 18 });
    const asIs: MinedPatchesFile['run'] = { ...RUN };
    delete (asIs as { shortSide?: number }).shortSide;
    assert.deepEqual(minedPatchRect(p, asIs, 123, 82), { x: p.x, y: p.y, width: 9, height: 9 });
  });
});
