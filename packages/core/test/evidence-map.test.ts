import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

import { bagnetArchitecture, BagNetInputError, EvidenceMap, PatchGeometry } from '@bagnet-vis/core';

import { noLeaks } from '../../../test/helpers/leaks.js';

// A 2×3 grid, 2 classes, known values: class 0 = [[1, -2, 3], [0, 4, -1]], class 1 = 10 − class 0.
const geometry = new PatchGeometry(9, 8, 25, 33, 2, 3);
const c0 = [1, -2, 3, 0, 4, -1];
const map = new Float32Array(c0.flatMap((v) => [v, 10 - v]));

describe('EvidenceMap', () => {
  it('has logits equal to the mean of the map', () => {
    const e = new EvidenceMap({ logitMap: map, geometry, labels: ['a', 'b'] });
    assert.deepEqual([...e.logits], [5 / 6, 10 - 5 / 6].map(Math.fround));
    const p = e.probabilities;
    assert.ok(Math.abs(p[0]! + p[1]! - 1) < 1e-6);
    assert.deepEqual(
      e.topClasses(5).map((c) => c.label),
      ['b', 'a'],
    );
  });

  it('ranks patches and splits evidence relative to the head bias', () => {
    const e = new EvidenceMap({ logitMap: map, geometry, labels: ['a', 'b'], bias: new Float32Array([1, 0]) });
    assert.deepEqual([...e.classMap(0)], c0);
    const most = e.topPatches(0, 2, 'most');
    assert.deepEqual(
      most.map((p) => [p.row, p.col, p.logit, p.rank]),
      [
        [1, 1, 4, 1],
        [0, 2, 3, 2],
      ],
    );
    assert.deepEqual(most[0]!.rect, { x: 8, y: 8, width: 9, height: 9 });
    const least = e.topPatches(0, 1, 'least');
    assert.deepEqual([least[0]!.row, least[0]!.col, least[0]!.logit], [0, 1, -2]);
    const s = e.evidenceSplit(0);
    // contributions (v − 1)/6: [0, −3, 2, −1, 3, −2]/6
    assert.ok(Math.abs(s.positive - 5 / 6) < 1e-12);
    assert.ok(Math.abs(s.negative + 6 / 6) < 1e-12);
    assert.equal(s.positiveCount, 2);
    assert.equal(s.negativeCount, 3);
    assert.ok(Math.abs(s.bias + s.positive + s.negative - s.logit) < 1e-6);
    assert.ok(Math.abs(most[0]!.share - 3 / 11) < 1e-12);
    assert.equal(e.value(1, 2, 1), 11);
  });

  it('rejects bad class indices, cells and data with typed errors', () => {
    const e = new EvidenceMap({ logitMap: map, geometry, labels: ['a', 'b'] });
    for (const c of [-1, 2, 0.5, NaN]) {
      assert.throws(
        () => e.classMap(c),
        (err) => err instanceof BagNetInputError && /out of range: this model has 2 classes/.test(err.message),
      );
    }
    assert.throws(() => e.value(2, 0, 0), /outside the 2×3/);
    assert.throws(() => e.topPatches(0, 1, 'best' as 'most'), /'most' or 'least'/);
    assert.throws(
      () => new EvidenceMap({ logitMap: new Float32Array(5), geometry, labels: ['a', 'b'] }),
      /expected 2×3×2 = 12/,
    );
  });

  it('owns its tensors and releases them on dispose', async () => {
    await tf.setBackend('cpu');
    await noLeaks(() => {
      const e = new EvidenceMap({ logitMap: map, geometry, labels: ['a', 'b'] });
      assert.deepEqual(e.logitMapTensor.shape, [2, 3, 2]);
      assert.equal(e.logitsTensor.shape[0], 2);
      e.dispose();
      assert.throws(() => e.logitMapTensor, /disposed/);
    });
  });

  it('works with geometry from an architecture', () => {
    const g = PatchGeometry.of(bagnetArchitecture({ q: 9 }), 9, 9);
    assert.equal(g.size, 1);
  });
});
