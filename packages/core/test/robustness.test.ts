/**
 * Certified patch robustness (PatchGuard robust masking, Clipped BagNet) against the NumPy
 * reference scripts/robustness-reference/reference.py (float64, loops written from the papers'
 * formulas), whose cases are in test/fixtures/robustness/cases.json: seeded random maps in the
 * default model's and BagNet-9's geometry and the BagNet-33 parity fixture's 24×24×10 map.
 * Tolerance: |ours − reference| ≤ TOLERANCE × (1 + |reference|) for every evidence value and
 * window margin, on CPU and WASM; discrete results (top / defended / rival class, worst window,
 * certified) must be equal wherever the reference's own gap to the alternative exceeds it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import {
  BagNetInputError,
  EvidenceMap,
  PatchGeometry,
  patchRobustness,
  patchWindowCells,
  useBackend,
} from '@bagnet-vis/core';
import type { PatchRobustness, PatchRobustnessOptions } from '@bagnet-vis/core';

import { FIXTURES } from '../../../test/helpers/fixtures.js';
import { noLeaks } from '../../../test/helpers/leaks.js';
import { parseNpy } from '../../../test/helpers/npy.js';

// float32 window sums of ≤ 576 cells, values ≤ 22: measured max error 2.1e-7 (CPU), 4.5e-7 (WASM)
const TOLERANCE = 5e-6;

interface Case {
  name: string;
  geometry: { q: number; stride: number; imageHeight: number; imageWidth: number; rows: number; cols: number };
  classes: number;
  map: string;
  options: PatchRobustnessOptions;
  expected: {
    window: [number, number];
    positions: [number, number];
    clippedEvidence: number[];
    defendedEvidence: number[];
    topClass: number;
    topGap: number;
    defendedClass: number;
    certified: boolean;
    margin: number;
    worst: { row: number; col: number; rival: number; positionGap: number | null; rivalGap: number };
    windowMargins: number[];
  };
}
interface Cases {
  maps: Record<string, { layout: 'hwc'; values: number[] } | { layout: 'chw'; npy: string }>;
  cases: Case[];
}

const fixture = JSON.parse(readFileSync(join(FIXTURES, 'robustness', 'cases.json'), 'utf8')) as Cases;

function mapOf(c: Case): Float32Array {
  const m = fixture.maps[c.map]!;
  if (m.layout === 'hwc') return Float32Array.from(m.values);
  const chw = parseNpy(new Uint8Array(readFileSync(join(FIXTURES, m.npy)))).data as Float32Array;
  const { rows, cols } = c.geometry;
  const out = new Float32Array(chw.length);
  for (let k = 0; k < c.classes; k++)
    for (let i = 0; i < rows * cols; i++) out[i * c.classes + k] = chw[k * rows * cols + i]!;
  return out;
}

function evidenceOf(c: Case): EvidenceMap {
  const g = c.geometry;
  return new EvidenceMap({
    logitMap: mapOf(c),
    geometry: new PatchGeometry(g.q, g.stride, g.imageHeight, g.imageWidth, g.rows, g.cols),
    labels: Array.from({ length: c.classes }, (_, k) => `class ${k}`),
  });
}

function maxError(actual: ArrayLike<number>, expected: readonly number[]): number {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (1 + Math.abs(expected[i]!)));
  }
  return worst;
}

function compare(r: PatchRobustness, c: Case): number {
  const e = c.expected;
  assert.deepEqual([r.windowRows, r.windowCols], e.window);
  assert.deepEqual([r.positionRows, r.positionCols], e.positions);
  const err = Math.max(
    maxError(r.clippedEvidence, e.clippedEvidence),
    maxError(r.defendedEvidence, e.defendedEvidence),
    maxError(r.windowMargins, e.windowMargins),
    maxError([r.margin], [e.margin]),
  );
  assert.ok(err <= TOLERANCE, `${c.name}: error ${err.toExponential(2)} > ${TOLERANCE}`);
  if (e.topGap > TOLERANCE) assert.equal(r.topClass, e.topClass, `${c.name}: top class`);
  assert.equal(r.defendedClass, e.defendedClass, `${c.name}: defended class`);
  if (Math.abs(e.margin) > TOLERANCE) assert.equal(r.certified, e.certified, `${c.name}: certified`);
  if ((e.worst.positionGap ?? Infinity) > TOLERANCE) {
    assert.deepEqual([r.worstWindow.row, r.worstWindow.col], [e.worst.row, e.worst.col], `${c.name}: worst window`);
    if (e.worst.rivalGap > TOLERANCE) assert.equal(r.worstWindow.rivalClass, e.worst.rival, `${c.name}: rival`);
  }
  assert.ok(Math.abs(r.worstWindow.topBound - r.worstWindow.rivalBound - r.margin) < 1e-9);
  return err;
}

describe('patchRobustness', () => {
  it('has the window size of PatchGuard: ⌈(p + q − 1) / s⌉', () => {
    assert.equal(patchWindowCells(32, 33, 8), 8);
    assert.equal(patchWindowCells(32, 17, 8), 6);
    assert.equal(patchWindowCells(32, 9, 8), 5);
    assert.equal(patchWindowCells(1, 9, 8), 2);
    assert.equal(patchWindowCells(4, 11, 2), 7);
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`${backend}: matches the NumPy reference on ${fixture.cases.length} cases`, async () => {
      await useBackend(backend);
      let worst = 0;
      const seen = { certified: 0, uncertified: 0 };
      for (const c of fixture.cases) {
        const evidence = evidenceOf(c);
        await noLeaks(async () => {
          const r = await patchRobustness(evidence, c.options);
          worst = Math.max(worst, compare(r, c));
          seen[r.certified ? 'certified' : 'uncertified']++;
          evidence.dispose();
        });
      }
      // the cases exercise both outcomes (a certificate that is always true or false checks nothing)
      assert.ok(seen.certified >= 5 && seen.uncertified >= 5, JSON.stringify(seen));
      console.log(`${backend}: max relative error ${worst.toExponential(2)} (tolerance ${TOLERANCE})`);
    });
  }

  it('checks every other class, not only the runner-up', async () => {
    await useBackend('cpu');
    // 1 × 3 map, classes a, b, c; window 1 cell (p = 1, q = 1, s = 1); clipped to [0, 10].
    // Clipped sums: a 25.5, b 9 (runner-up, spread), c 8 (concentrated in one cell).
    // Against b the worst window costs a 8.5 and lifts b to 6 + 10: margin 17 − 16 = 1 everywhere.
    // Against c a window on cell 0 or 1 lifts c to 8 + 10: margin 17 − 18 = −1. Not certified.
    const geometry = new PatchGeometry(1, 1, 1, 3, 1, 3);
    const cellsOf = [
      [8.5, 3, 0],
      [8.5, 3, 0],
      [8.5, 3, 8],
    ];
    const evidence = new EvidenceMap({
      logitMap: Float32Array.from(cellsOf.flat()),
      geometry,
      labels: ['a', 'b', 'c'],
    });
    await noLeaks(async () => {
      const r = await patchRobustness(evidence, { patchPx: 1, method: 'clip', clipMax: 10 });
      assert.equal(r.topClass, 0);
      assert.equal(r.certified, false);
      assert.ok(
        maxError(
          [...r.windowMargins].map((m) => m * 3),
          [-1, -1, 1],
        ) < 1e-6,
      );
      assert.deepEqual([...r.windowRivals], [2, 2, 1]);
      assert.deepEqual([r.worstWindow.col, r.worstWindow.rivalClass], [0, 2]);
      evidence.dispose();
    });
  });

  it('refuses bad options with typed errors, then certifies a good input', async () => {
    await useBackend('cpu');
    const c = fixture.cases[0]!;
    const evidence = evidenceOf(c);
    const bad: [unknown, RegExp][] = [
      [{ patchPx: 0, method: 'mask' }, /positive integer/],
      [{ patchPx: 2.5, method: 'mask' }, /positive integer/],
      [{ patchPx: 4, method: 'median' }, /'mask' or 'clip'/],
      [{ patchPx: 4, method: 'mask', threshold: 1 }, /\[0, 1\)/],
      [{ patchPx: 4, method: 'mask', threshold: NaN }, /\[0, 1\)/],
      [{ patchPx: 4, method: 'clip', threshold: 0.1 }, /method 'mask' only/],
      [{ patchPx: 4, method: 'clip', clipMax: -1 }, /clipMax/],
    ];
    await noLeaks(async () => {
      for (const [options, message] of bad) {
        await assert.rejects(
          patchRobustness(evidence, options as PatchRobustnessOptions),
          (err) => err instanceof BagNetInputError && message.test(err.message),
        );
      }
      compare(await patchRobustness(evidence, c.options), c);
      evidence.dispose();
    });
    const one = new EvidenceMap({
      logitMap: new Float32Array(4),
      geometry: new PatchGeometry(9, 8, 17, 17, 2, 2),
      labels: ['only'],
    });
    await noLeaks(() => assert.rejects(patchRobustness(one, { patchPx: 4, method: 'clip' }), /only 1/));
  });
});
