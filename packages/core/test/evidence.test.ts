import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  absPercentile,
  BagNetInputError,
  clipPercentileOf,
  clipScale,
  EvidenceMap,
  patchContribution,
  PatchGeometry,
  printable,
  sharedClassClipScale,
  sharedClipScale,
} from '@bagnet-vis/core';

/** NumPy's `np.percentile(np.abs(v), p)` (linear interpolation), written out plainly as the oracle. */
function npPercentile(values: readonly number[], p: number): number {
  const s = values.map(Math.abs).sort((a, b) => a - b);
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  return lo + 1 < s.length ? s[lo]! + (rank - lo) * (s[lo + 1]! - s[lo]!) : s[lo]!;
}

describe('clip scale', () => {
  it('is NumPy’s linear percentile of |values| (values printed by NumPy 1.24)', () => {
    // python3 -c "import numpy as np; print(np.percentile(np.abs([1,-2,3,-4,0.5]),99), …)"
    assert.equal(absPercentile([1, -2, 3, -4, 0.5], 99), 3.96);
    assert.equal(absPercentile([1, -2, 3, -4, 0.5], 50), 2);
    assert.ok(
      Math.abs(
        absPercentile(
          Array.from({ length: 81 }, (_, i) => (i - 40) / 7),
          99,
        ) - 5.714285714285714,
      ) < 1e-12,
    );
  });

  it('equals the sorting oracle on random, sorted, constant and tiny inputs', () => {
    let seed = 3;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 10;
    const cases = [
      Array.from({ length: 1000 }, rand),
      Array.from({ length: 257 }, (_, i) => i - 100),
      Array.from({ length: 50 }, () => 2),
      [5],
      [-1, 3],
      Array.from({ length: 729 }, () => Math.round(rand())),
    ];
    for (const values of cases) {
      for (const p of [0, 1, 50, 90, 99, 99.9, 100]) {
        assert.ok(Math.abs(absPercentile(values, p) - npPercentile(values, p)) < 1e-12, `n=${values.length} p=${p}`);
      }
    }
  });

  it('skips non-finite values (NaN marks no patch), is 0 for none, and clamps the percentile', () => {
    assert.equal(absPercentile([NaN, 2, Infinity, -4], 100), 4);
    assert.equal(absPercentile([NaN], 99), 0);
    assert.equal(absPercentile([], 99), 0);
    assert.equal(clipPercentileOf('abc'), 99);
    assert.equal(clipPercentileOf(null), 99);
    assert.equal(clipPercentileOf(150), 100);
    assert.equal(clipPercentileOf('97.5'), 97.5);
    // After the bad inputs, a good one through the same surface.
    assert.deepEqual(clipScale([1, -2, 3, -4], 100), { percentile: 100, limit: 4, domain: [-4, 4] });
  });

  it('is symmetric, drawable for an all-zero map, and a shared scale takes the widest', () => {
    const zero = clipScale([0, 0], 99);
    assert.equal(zero.limit, 0);
    assert.ok(zero.domain[1] > 0 && zero.domain[0] === -zero.domain[1]);
    assert.equal(
      sharedClipScale(
        [
          [1, -2],
          [6, 1],
        ],
        100,
      ).limit,
      6,
    );
    const map = (scale: number) =>
      new EvidenceMap({
        logitMap: Float32Array.from([1, -2, 3, -4], (v) => v * scale),
        geometry: new PatchGeometry(9, 8, 17, 17, 2, 2),
        labels: ['a'],
      });
    assert.deepEqual(sharedClassClipScale([map(1), map(3)], 0, 100).domain, [-12, 12]);
  });
});

describe('ClassEvidence', () => {
  // 3×3 cells, one class, bias 1: two ties (value 3 at cells 1 and 5, value 0 at cells 3 and 7).
  const values = [2, 3, -1, 0, 5, 3, 1, 0, -2];
  const geometry = new PatchGeometry(9, 8, 25, 25, 3, 3);
  const evidence = () =>
    new EvidenceMap({ logitMap: Float32Array.from(values), geometry, labels: ['x'], bias: Float32Array.of(1) });

  it('writes (logit − bias) / cells once: contributions sum to logit − bias', () => {
    const c = evidence().classEvidence(0);
    assert.deepEqual(
      [...c.contributions],
      values.map((v) => patchContribution(v, 1, 9)),
    );
    assert.deepEqual(
      [...c.contributions],
      values.map((v) => (v - 1) / 9),
    );
    const sum = c.contributions.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - (c.logit - c.bias)) < 1e-6);
  });

  it('ranks by contribution with ties in cell order, and every view of a cell agrees', () => {
    const e = evidence();
    const c = e.classEvidence(0);
    assert.deepEqual([...c.order], [4, 1, 5, 0, 6, 3, 7, 2, 8]);
    assert.deepEqual([...c.ranks], [4, 2, 8, 6, 1, 3, 5, 7, 9]);
    for (const p of e.topPatches(0, 9)) assert.equal(c.patch(p.row, p.col).rank, p.rank);
    assert.deepEqual(
      e.topPatches(0, 3, 'least').map((p) => p.row * 3 + p.col),
      [8, 2, 3],
    );
    assert.equal(e.classEvidence(0), c, 'computed once per class');
  });

  it('splits for/against, shares and the distribution from the same contributions', () => {
    const c = evidence().classEvidence(0);
    const positive = (1 + 2 + 4 + 2) / 9;
    const negative = (-2 - 1 - 1 - 3) / 9;
    assert.ok(Math.abs(c.split.positive - positive) < 1e-12);
    assert.ok(Math.abs(c.split.negative - negative) < 1e-12);
    assert.equal(c.split.positiveCount, 4);
    assert.equal(c.split.negativeCount, 4);
    const total = positive - negative;
    assert.ok(Math.abs(c.shares[4]! - 4 / 9 / total) < 1e-12);
    assert.ok(Math.abs(c.shares.reduce((a, s) => a + Math.abs(s), 0) - 1) < 1e-12);
    assert.deepEqual(
      [...c.distribution.sorted],
      [...c.order].map((i) => c.contributions[i]!),
    );
    assert.equal(c.distribution.topCount, 1);
    assert.ok(Math.abs(c.distribution.topShare - 4 / 9 / positive) < 1e-12);
    assert.deepEqual(c.clip(100).domain, [-5, 5]);
  });

  it('names the patches for and against by the sign of their contribution, as the split counts them', () => {
    const c = evidence().classEvidence(0);
    const cells = (ps: { row: number; col: number }[]) => ps.map((p) => p.row * 3 + p.col);
    assert.deepEqual(cells(c.strongest(9, 'for')), [4, 1, 5, 0]);
    assert.deepEqual(cells(c.strongest(9, 'against')), [8, 2, 3, 7]);
    assert.equal(c.strongest(9, 'for').length, c.split.positiveCount);
    assert.equal(c.strongest(9, 'against').length, c.split.negativeCount);
    assert.deepEqual(cells(c.strongest(2, 'for')), [4, 1]);
    // Bias 2.5: the patch of logit 2 is above zero but lowers the class logit, so it is against.
    const high = new EvidenceMap({
      logitMap: Float32Array.from(values),
      geometry,
      labels: ['x'],
      bias: Float32Array.of(2.5),
    }).classEvidence(0);
    assert.deepEqual(cells(high.strongest(9, 'for')), [4, 1, 5]);
    assert.ok(cells(high.strongest(9, 'against')).includes(0));
    assert.equal(high.strongest(9, 'against').length, high.split.negativeCount);
    assert.throws(() => c.strongest(3, 'most' as 'for'), BagNetInputError);
    assert.deepEqual(cells(c.strongest(1, 'for')), [4]);
  });

  it('refuses a bad class, then answers a good one', () => {
    const e = evidence();
    assert.equal(e.hasClass(0.5), false);
    assert.equal(e.hasClass(1), false);
    assert.equal(e.hasClass('0'), false);
    assert.throws(() => e.classEvidence(1), BagNetInputError);
    assert.throws(() => e.classEvidence(0.5), BagNetInputError);
    assert.equal(e.hasClass(0), true);
    assert.equal(e.classEvidence(0).cells, 9);
  });
});

describe('printable', () => {
  it('escapes control and bidi characters and cuts long text', () => {
    assert.equal(printable('a\u001b[2Jb\u202ec'), 'a\\u001b[2Jb\\u202ec');
    assert.equal(printable('abcdef', 3), 'abc…');
    assert.equal(printable('plain'), 'plain');
  });
});
