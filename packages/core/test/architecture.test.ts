import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  bagnetArchitecture,
  BagNetInputError,
  blockSpecs,
  outputSide,
  PatchGeometry,
  receptiveFieldOf,
} from '@bagnet-vis/core';

describe('architecture', () => {
  it('gives the published receptive fields and stride 8', () => {
    for (const q of [9, 17, 33] as const) {
      assert.deepEqual(receptiveFieldOf(bagnetArchitecture({ q })), { receptiveField: q, stride: 8 });
    }
  });

  it('matches the reference grid size floor((H − q)/8) + 1 for every size ≥ q', () => {
    for (const q of [9, 17, 33] as const) {
      const a = bagnetArchitecture({ q, widthScale: 0.125, blocks: [1, 1, 1, 1] });
      for (let n = q; n < q + 80; n++) assert.equal(outputSide(a, n), Math.floor((n - q) / 8) + 1, `q=${q} n=${n}`);
      assert.equal(outputSide(a, q - 1), null);
    }
  });

  it('builds ResNet-50 widths and block counts by default', () => {
    const a = bagnetArchitecture();
    assert.deepEqual(a.blocks, [3, 4, 6, 3]);
    assert.deepEqual(a.stageWidths, [64, 128, 256, 512]);
    const specs = blockSpecs(a);
    assert.equal(specs.length, 16);
    assert.equal(specs.filter((b) => b.kernel === 3).length, 4);
    assert.equal(specs.filter((b) => b.projection).length, 4);
  });

  it('derives q and stride for small variants with other stage strides', () => {
    const a = bagnetArchitecture({
      kernel3: [1, 1, 1, 0],
      stageStrides: [1, 2, 1, 1],
      widthScale: 0.25,
      blocks: [1, 1, 1, 1],
    });
    // stem 3, +2 (jump 1, stride 1) = 5, +2 (jump 1, then stride 2) = 7, +4 (jump 2) = 11
    assert.deepEqual(receptiveFieldOf(a), { receptiveField: 11, stride: 2 });
    assert.equal(outputSide(a, 28), Math.floor((28 - 11) / 2) + 1);
  });

  it('rejects invalid options with a clear message', () => {
    assert.throws(
      () => bagnetArchitecture({ q: 13 as 9 }),
      (e) => e instanceof BagNetInputError && /q=13/.test(e.message),
    );
    assert.throws(() => bagnetArchitecture({ stageStrides: [2, 2, 3, 1] }), /strides of 1 or 2/);
    assert.throws(() => bagnetArchitecture({ numClasses: 0 }), /numClasses/);
    assert.throws(() => bagnetArchitecture({ widthScale: -1 }), /widthScale/);
    assert.throws(() => bagnetArchitecture({ blocks: [1, 1, 1] }), /blocks must be 4/);
    assert.throws(
      () => bagnetArchitecture({ kernel3: [2, 1, 1, 1], blocks: [1, 1, 1, 1] }),
      /kernel3\[0\] = 2 exceeds/,
    );
  });

  it('maps cells to q×q image rectangles and back', () => {
    const g = PatchGeometry.of(bagnetArchitecture({ q: 17 }), 97, 131);
    assert.equal(g.rows, 11);
    assert.equal(g.cols, 15);
    assert.deepEqual(g.cellRect(2, 3), { x: 24, y: 16, width: 17, height: 17 });
    assert.deepEqual(g.cellAt(24 + 8, 16 + 8), { row: 2, col: 3 });
    assert.deepEqual(g.cellAt(-50, 1e6), { row: 10, col: 0 });
    assert.throws(() => g.cellRect(11, 0), /outside the 11×15/);
    assert.throws(
      () => PatchGeometry.of(bagnetArchitecture({ q: 33 }), 32, 100),
      /smaller than the model's receptive field q = 33/,
    );
  });
});
