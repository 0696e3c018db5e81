/**
 * `bagnet explain --robust <px>`: the certificate in the terminal, the JSON and the PNG is exactly
 * what core's `patchRobustness` returns for the same evidence map (the CLI draws, core computes);
 * bad flags end with exit code 2 and one line, and a good run follows through the same surface.
 * Model: the shipped default model (q = 13, stride 2) on one of its samples.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { PNG } from 'pngjs';

import { EvidenceMap, parseBagNetMetadata, PatchGeometry, patchRobustness, useBackend } from '@bagnet-vis/core';

import { run } from '../../packages/cli/src/index.js';
import { figureZoom } from '../../packages/cli/src/render/explanation-png.js';
import { noLeaks } from '../helpers/leaks.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODEL = join(ROOT, 'packages/models/default');
/** The model's q and stride, from its metadata: the certificate's window depends on them. */
const { receptiveField: Q, stride: STRIDE } = parseBagNetMetadata(
  (JSON.parse(readFileSync(join(MODEL, 'model.json'), 'utf8')) as { userDefinedMetadata?: { bagnet?: unknown } })
    .userDefinedMetadata?.bagnet,
  'model.json',
);
const IMAGE = join(ROOT, 'packages/models/samples/test-00102-sneaker.png');

async function bagnet(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), interactive: false });
  return { code, stdout, stderr };
}

interface Json {
  logitMap: { shape: [number, number, number]; data: number[] };
  robustness?: {
    method: string;
    patchPx: number;
    window: [number, number];
    topClass: number;
    certified: boolean;
    margin: number;
    worstWindow: { row: number; col: number; rect: { x: number; y: number; width: number; height: number } };
    rivalClass?: number;
    defendedEvidence: number[];
    windowMargins: { shape: [number, number]; data: number[] };
  };
}

let tmp: string;
before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'bagnet-robust-test-'));
  await useBackend('cpu');
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('bagnet explain --robust', () => {
  for (const [patch, method] of [
    ['1', 'mask'],
    ['3', 'clip'],
  ] as const) {
    test(`--robust ${patch} --robust-method ${method}: terminal, JSON and PNG show core's certificate`, async () => {
      const json = join(tmp, `${method}.json`);
      const png = join(tmp, `${method}.png`);
      const plain = join(tmp, `${method}-plain.png`);
      await noLeaks(async () => {
        const r = await bagnet(
          'explain',
          IMAGE,
          '--model',
          MODEL,
          '--robust',
          patch,
          '--robust-method',
          method,
          '--json',
          json,
          '--png',
          png,
          '--backend',
          'cpu',
          '-q',
        );
        assert.equal(r.code, 0, r.stderr);
        const doc = JSON.parse(readFileSync(json, 'utf8')) as Json;
        const rob = doc.robustness!;
        // the same map through core: identical certificate
        const [rows, cols, classes] = doc.logitMap.shape;
        const evidence = new EvidenceMap({
          logitMap: Float32Array.from(doc.logitMap.data),
          geometry: new PatchGeometry(Q, STRIDE, 28, 28, rows, cols),
          labels: Array.from({ length: classes }, (_, k) => String(k)),
        });
        const core = await patchRobustness(evidence, { patchPx: Number(patch), method });
        evidence.dispose();
        assert.equal(rob.method, method);
        assert.deepEqual(rob.window, [core.windowRows, core.windowCols]);
        assert.equal(rob.topClass, core.topClass);
        assert.equal(rob.certified, core.certified);
        assert.equal(Math.fround(rob.margin), Math.fround(core.margin));
        assert.deepEqual(rob.defendedEvidence.map(Math.fround), [...core.defendedEvidence]);
        assert.deepEqual(rob.windowMargins.data.map(Math.fround), [...core.windowMargins]);
        assert.deepEqual([rob.worstWindow.row, rob.worstWindow.col], [core.worstWindow.row, core.worstWindow.col]);
        const verdict = core.certified ? 'CERTIFIED' : 'NOT certified';
        assert.match(
          r.stdout,
          new RegExp(
            `${patch}×${patch} px patch anywhere: 'Sneaker' ${verdict} \\(margin ${core.margin.toFixed(4)}\\)`,
          ),
        );

        // the PNG outlines the worst window (ink on the image panel) and has one more caption line
        const r2 = await bagnet('explain', IMAGE, '--model', MODEL, '--png', plain, '--backend', 'cpu', '-q');
        assert.equal(r2.code, 0, r2.stderr);
        const withBox = PNG.sync.read(readFileSync(png));
        const without = PNG.sync.read(readFileSync(plain));
        assert.equal(withBox.width, without.width);
        assert.ok(withBox.height > without.height);
        let differing = 0;
        for (let y = 0; y < without.height - 40; y++) {
          for (let x = 0; x < without.width; x++) {
            const o = (y * without.width + x) * 4;
            if (withBox.data[o] !== without.data[o]) differing++;
          }
        }
        // the box outline is 2 px wide (and a 1 px halo) on both panels, at the figure's zoom
        const { width, height } = rob.worstWindow.rect;
        const zoom = figureZoom(28, 28);
        const expected = 2 * (2 * 2 * (width * zoom + height * zoom));
        assert.ok(
          differing > 0.5 * expected && differing < 2 * expected,
          `${differing} pixels differ, ~${expected} expected`,
        );
      });
    });
  }

  test('bad flags: exit 2 with one line, then a good run', async () => {
    const cases: [string[], RegExp][] = [
      [['--robust', '0'], /--robust expects an integer from 1 to 4096, got '0'/],
      [['--robust', 'big'], /--robust expects an integer/],
      [['--robust', '4', '--robust-method', 'median'], /--robust-method must be mask or clip, got 'median'/],
      [['--robust-method', 'clip'], /--robust-method needs --robust <px>/],
    ];
    await noLeaks(async () => {
      for (const [extra, message] of cases) {
        const r = await bagnet('explain', IMAGE, '--model', MODEL, ...extra);
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, message);
      }
      const good = await bagnet('explain', IMAGE, '--model', MODEL, '--robust', '2', '--backend', 'cpu', '-q');
      assert.equal(good.code, 0, good.stderr);
      assert.match(good.stdout, /2×2 px patch anywhere/);
    });
  });
});
