/**
 * Dense per-pixel evidence. Exactness is checked against two independent references:
 * - the patch-by-patch oracle `patchwiseEvidence` (the reference method: every q×q patch of the
 *   zero-padded normalised image through the tfjs-layers model), on small seeded BagNets;
 * - the fixtures' `heatmap_top1_f32.npy` written by ../shared/reference/make_fixture.py (PyTorch,
 *   float64, via scripts/make-fixtures.sh), read through @bagnet-vis/convert.
 * Tolerance (the issue's): max |dense − reference| ≤ 1e-4 × max |reference| on CPU and WASM.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  BagNet,
  BagNetAbortError,
  bagnetArchitecture,
  BagNetInputError,
  denseEvidence,
  denseEvidenceLevels,
  patchwiseEvidence,
  useBackend,
} from '@bagnet-vis/core';
import type { DenseEvidence, DenseProgress, PatchRect, RawImage, StandardReceptiveField } from '@bagnet-vis/core';
import { bagnetFromStateDict, readTorchCheckpoint } from '@bagnet-vis/convert';

import { FIXTURE_QS, loadFixture, maxAbs } from '../../../test/helpers/fixtures.js';
import { noLeaks } from '../../../test/helpers/leaks.js';
import { seededImage } from '../../../test/helpers/images.js';

const TOLERANCE = 1e-4; // × max |reference|, CPU and WASM

function smallBagNet(q: StandardReceptiveField, seed: number = q): BagNet {
  return BagNet.create(bagnetArchitecture({ q, widthScale: 0.0625, blocks: [1, 1, 1, 1], numClasses: 4 }), { seed });
}

const image = seededImage;

/** max |a − b| over the samples the reference computed (non-NaN), and max |reference|. */
function compare(actual: Float32Array, reference: Float32Array): { error: number; scale: number; compared: number } {
  assert.equal(actual.length, reference.length);
  let error = 0;
  let scale = 0;
  let compared = 0;
  reference.forEach((r, i) => {
    if (Number.isNaN(r)) return;
    error = Math.max(error, Math.abs(actual[i]! - r));
    scale = Math.max(scale, Math.abs(r));
    compared++;
  });
  return { error, scale, compared };
}

function assertExact(actual: DenseEvidence, reference: DenseEvidence, what: string): number {
  assert.deepEqual(actual.classes, reference.classes);
  assert.equal(actual.stride, reference.stride);
  let worst = 0;
  actual.classes.forEach((c) => {
    const { error, scale, compared } = compare(actual.classMap(c), reference.classMap(c));
    assert.ok(compared > 0, `${what}: nothing compared`);
    assert.ok(
      Number.isFinite(error) && error <= TOLERANCE * scale,
      `${what}, class ${c}: error ${error} > ${TOLERANCE} × ${scale}`,
    );
    worst = Math.max(worst, error / scale);
  });
  return worst;
}

/** The two 8×8 corners: every phase offset (mod 8) near the top/left and bottom/right borders. */
function corners(height: number, width: number): PatchRect[] {
  return [
    { x: 0, y: 0, width: 8, height: 8 },
    { x: width - 8, y: height - 8, width: 8, height: 8 },
  ];
}

describe('denseEvidence equals the patch-by-patch reference', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    for (const q of [9, 17, 33] as const) {
      it(`${backend}: BagNet-${q} on a non-square 37×45 image, classes [3, 0]`, async () => {
        await useBackend(backend);
        const net = smallBagNet(q);
        const img = image(37, 45, q);
        try {
          await noLeaks(async () => {
            const dense = await denseEvidence(net, img, { classes: [3, 0] });
            assert.equal(dense.stride, 1);
            assert.deepEqual([dense.rows, dense.cols], [37, 45]);
            assert.equal(dense.isFinal, true);
            // The oracle is slow on the pure-JS CPU backend: there, the two corners.
            const regions = backend === 'cpu' ? corners(37, 45) : [undefined];
            for (const region of regions) {
              const oracle = await patchwiseEvidence(net, img, { classes: [3, 0], region });
              assertExact(dense, oracle, `${backend} q=${q} ${JSON.stringify(region ?? 'all')}`);
            }
          });
        } finally {
          net.dispose();
        }
      });
    }
  }

  it('wasm: strides 2 and 4 give the stride-1 samples, and match the oracle at stride 2', async () => {
    await useBackend('wasm');
    const net = smallBagNet(17, 5);
    const img = image(41, 34, 9);
    try {
      await noLeaks(async () => {
        const full = (await denseEvidence(net, img, { classes: [1] })).classMap(1);
        for (const stride of [2, 4, 8] as const) {
          const coarse = await denseEvidence(net, img, { classes: [1], stride });
          assert.deepEqual([coarse.rows, coarse.cols], [Math.ceil(41 / stride), Math.ceil(34 / stride)]);
          const expected = Float32Array.from({ length: coarse.rows * coarse.cols }, (_, k) => {
            const i = Math.floor(k / coarse.cols);
            const j = k % coarse.cols;
            return full[i * stride * 34 + j * stride]!;
          });
          const { error, scale } = compare(coarse.classMap(1), expected);
          assert.ok(error <= TOLERANCE * scale, `stride ${stride}: ${error}`);
          if (stride === 2)
            assertExact(coarse, await patchwiseEvidence(net, img, { classes: [1], stride }), 'stride 2');
        }
      });
    } finally {
      net.dispose();
    }
  });

  it('wasm: a small memory budget splits the work into row bands with the same result', async () => {
    await useBackend('wasm');
    const net = smallBagNet(33, 2);
    const img = image(83, 40, 4);
    try {
      await noLeaks(async () => {
        let wholeMacs = 0;
        let bandedMacs = 0;
        const whole = await denseEvidence(net, img, {
          classes: [2],
          onProgress: (p) => (wholeMacs = p.macsTotal),
        });
        const banded = await denseEvidence(net, img, {
          classes: [2],
          memoryBudget: 200_000,
          onProgress: (p) => (bandedMacs = p.macsTotal),
        });
        // Bands recompute their borders and the shared path per level: more work, same numbers.
        assert.ok(bandedMacs > wholeMacs, `banded ${bandedMacs} vs whole ${wholeMacs} multiply-adds`);
        assertExact(banded, whole, 'banded');
      });
    } finally {
      net.dispose();
    }
  });
});

describe('denseEvidence equals the reference heatmaps of the fixtures (PyTorch, float64)', () => {
  for (const q of FIXTURE_QS) {
    it(`wasm: BagNet-${q} fixture, 224×224, heatmap of the top-1 class`, async () => {
      await useBackend('wasm');
      const f = loadFixture(q);
      assert.ok(f.heatmapTop1 && f.heatmapTarget !== undefined, 'fixture has no heatmap: regenerate with --heatmap on');
      await noLeaks(async () => {
        const net = bagnetFromStateDict(readTorchCheckpoint(f.checkpoint));
        try {
          const dense = await denseEvidence(net, f.image, { classes: [f.heatmapTarget!] });
          assert.deepEqual([dense.rows, dense.cols], f.heatmapTop1!.shape);
          const { error, scale } = compare(dense.classMap(f.heatmapTarget!), f.heatmapTop1!.data);
          assert.equal(scale, maxAbs(f.heatmapTop1!.data));
          assert.ok(error <= TOLERANCE * scale, `heatmap error ${error} > ${TOLERANCE} × ${scale}`);
        } finally {
          net.dispose();
        }
      });
    });
  }
});

describe('progressive delivery', () => {
  it('delivers strides 8, 4, 2, 1 in order; each level holds the final values at its samples', async () => {
    await useBackend('wasm');
    const net = smallBagNet(33, 7);
    const img = image(50, 39, 3);
    try {
      await noLeaks(async () => {
        const levels: DenseEvidence[] = [];
        const progress: DenseProgress[] = [];
        const final = await denseEvidence(net, img, {
          classes: [0, 2],
          onLevel: (level) => levels.push(level),
          onProgress: (p) => progress.push(p),
        });
        assert.deepEqual(
          levels.map((l) => l.stride),
          [8, 4, 2, 1],
        );
        assert.deepEqual(
          levels.map((l) => l.isFinal),
          [false, false, false, true],
        );
        assert.equal(levels[3], final);
        for (const level of levels) {
          assert.deepEqual([level.rows, level.cols], [Math.ceil(50 / level.stride), Math.ceil(39 / level.stride)]);
          for (const c of [0, 2]) {
            const map = level.classMap(c);
            for (let i = 0; i < level.rows; i++) {
              for (let j = 0; j < level.cols; j++) {
                const y = i * level.stride;
                const x = j * level.stride;
                assert.equal(
                  map[i * level.cols + j],
                  final.classMap(c)[y * 39 + x],
                  `stride ${level.stride} (${y}, ${x})`,
                );
                assert.equal(level.valueAt(c, x, y), map[i * level.cols + j]);
              }
            }
            // A coarse level painted at full resolution: each pixel takes its sample's value.
            const painted = level.toImage(c);
            assert.equal(painted.length, 50 * 39);
            assert.equal(painted[49 * 39 + 38], level.valueAt(c, 38, 49));
          }
        }
        // Progress: non-decreasing, ends at 1, follows the levels; level 8 (one plain forward
        // pass) is a small part of the work.
        assert.ok(progress.every((p, k) => k === 0 || p.fraction >= progress[k - 1]!.fraction));
        assert.equal(progress.at(-1)!.fraction, 1);
        assert.deepEqual([...new Set(progress.map((p) => p.stride))], [8, 4, 2, 1]);
        const level8 = progress.filter((p) => p.stride === 8).at(-1)!;
        assert.ok(level8.fraction < 0.1, `level 8 is ${level8.fraction} of the work`);
      });
    } finally {
      net.dispose();
    }
  });

  it('stops at the requested stride, and stops early when the consumer breaks out', async () => {
    await useBackend('wasm');
    const net = smallBagNet(17, 8);
    const img = image(40, 40, 5);
    try {
      await noLeaks(async () => {
        const strides: number[] = [];
        for await (const level of denseEvidenceLevels(net, img, { classes: [3], stride: 4 }))
          strides.push(level.stride);
        assert.deepEqual(strides, [8, 4]);
        for await (const level of denseEvidenceLevels(net, img, { classes: [3] })) {
          assert.equal(level.stride, 8);
          break; // the generator's finally releases everything
        }
      });
    } finally {
      net.dispose();
    }
  });
});

describe('cancellation', () => {
  it('aborting mid-run rejects with BagNetAbortError and leaves no tensors', async () => {
    await useBackend('wasm');
    const net = smallBagNet(33, 9);
    const img = image(60, 52, 2);
    try {
      await noLeaks(async () => {
        const controller = new AbortController();
        let last = 0;
        await assert.rejects(
          denseEvidence(net, img, {
            classes: [1, 2],
            signal: controller.signal,
            yieldIntervalMs: 0,
            onProgress: (p) => {
              last = p.fraction;
              if (p.fraction > 0.3) controller.abort(new Error('user left'));
            },
          }),
          (e: unknown) => e instanceof BagNetAbortError && e.name === 'AbortError' && /denseEvidence/.test(e.message),
        );
        assert.ok(last > 0.3 && last < 1, `aborted at ${last}`);
        // Aborting while the consumer handles a level.
        const second = new AbortController();
        await assert.rejects(
          denseEvidence(net, img, { classes: [1], signal: second.signal, onLevel: () => second.abort() }),
          BagNetAbortError,
        );
        // Already aborted.
        await assert.rejects(denseEvidence(net, img, { classes: [1], signal: AbortSignal.abort() }), BagNetAbortError);
        const third = new AbortController();
        await assert.rejects(
          patchwiseEvidence(net, img, {
            classes: [1],
            signal: third.signal,
            batchSize: 64,
            yieldIntervalMs: 0,
            onProgress: (p) => p.fraction > 0.2 && third.abort(),
          }),
          BagNetAbortError,
        );
      });
    } finally {
      net.dispose();
    }
  });
});

describe('bad input', () => {
  it('throws BagNetInputError for bad strides, classes, small images and a disposed model, leaking nothing', async () => {
    await useBackend('cpu');
    const net = smallBagNet(17, 1);
    const img = image(30, 30);
    try {
      await noLeaks(async () => {
        const cases: [string, Parameters<typeof denseEvidence>[2], RawImage?][] = [
          ['stride must be 1, 2, 4 or 8', { classes: [0], stride: 3 as 1 }],
          ['stride must be 1, 2, 4 or 8', { classes: [0], stride: 16 as 1 }],
          ['Class index 4 is out of range', { classes: [4] }],
          ['Class index -1 is out of range', { classes: [0, -1] }],
          ['Class index 1.5 is out of range', { classes: [1.5] }],
          ['pass the class indices', { classes: [] }],
          ['contain duplicates', { classes: [1, 1] }],
          ['smaller than the model', { classes: [0] }, image(16, 40)],
        ];
        for (const [message, options, input] of cases) {
          await assert.rejects(denseEvidence(net, input ?? img, options), (e: unknown) => {
            assert.ok(e instanceof BagNetInputError, `${message}: got ${String(e)}`);
            assert.match(e.message, new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
            return true;
          });
          await assert.rejects(
            patchwiseEvidence(net, input ?? img, { classes: options.classes, stride: options.stride }),
            BagNetInputError,
          );
        }
        await assert.rejects(patchwiseEvidence(net, img, { classes: [0], batchSize: 0 }), /batchSize/);
        await assert.rejects(
          patchwiseEvidence(net, img, { classes: [0], region: { x: 25, y: 0, width: 10, height: 5 } }),
          /region/,
        );
      });
    } finally {
      net.dispose();
    }
    await noLeaks(() => assert.rejects(denseEvidence(net, img, { classes: [0] }), /disposed/));
  });
});
