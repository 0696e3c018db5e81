/**
 * One image, one model: `bagnet explain --json` writes exactly core's numbers. The CLI runs
 * in-process on the default model and one of its samples, on CPU and WASM; the same image through
 * core (decoded and resized as the CLI does, then `BagNet.evidence`) must give the same logit map
 * bit for bit, and the JSON's `evidence` block (clip scale, for/against, contribution, rank, share
 * per patch) must equal `EvidenceMap.classEvidence` of that map exactly. The element side of the
 * chain is test/browser/consistency.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';

import { useBackend } from '@bagnet-vis/core';
import { loadBagNetFromDisk } from '@bagnet-vis/core/node';
import { defaultModelUrl, sampleImages } from '@bagnet-vis/models';

import { decodeImage, resizePixels, run } from '../../packages/cli/src/index.js';
import { noLeaks } from '../helpers/leaks.js';

const MODEL = fileURLToPath(defaultModelUrl);
const SAMPLE = fileURLToPath(sampleImages[0]!.url);

interface ExplainJson {
  logitMap: { shape: [number, number, number]; data: number[] };
  evidence: {
    class: number;
    label: string;
    logit: number;
    bias: number;
    clip: { percentile: number; limit: number };
    for: { sum: number; patches: number };
    against: { sum: number; patches: number };
    contribution: number[];
    rank: number[];
    share: number[];
  };
}

describe('bagnet explain --json == core', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'bagnet-consistency-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  for (const backend of ['cpu', 'wasm'] as const) {
    test(`the same numbers on ${backend}`, async () => {
      const out = join(tmp, `${backend}.json`);
      let stderr = '';
      const code = await run(['explain', SAMPLE, '--model', MODEL, '--json', out, '--backend', backend, '-q'], {
        stdout: () => undefined,
        stderr: (t) => (stderr += t),
        interactive: false,
      });
      assert.equal(code, 0, stderr);
      const json = JSON.parse(readFileSync(out, 'utf8')) as ExplainJson;

      await useBackend(backend);
      await noLeaks(async () => {
        const net = await loadBagNetFromDisk(MODEL);
        try {
          const image = decodeImage(readFileSync(SAMPLE), 'sample');
          // RGBA as decoded; the CLI keeps RGB and resizes to the model's input size (28×28 here).
          const raw = tf.tensor3d(Int32Array.from(image.data), [image.height, image.width, 4], 'int32');
          const [h, w] = net.metadata.inputSize;
          const pixels = tf.tidy(() => resizePixels(tf.slice(raw, [0, 0, 0], [-1, -1, 3]), [h, w]));
          raw.dispose();
          const evidence = await net.evidence(pixels);
          pixels.dispose();
          try {
            // The map the CLI wrote is core's map, bit for bit (float32 written to round-trip).
            assert.deepEqual(json.logitMap.data.map(Math.fround), Array.from(evidence.logitMap));
            const core = evidence.classEvidence(json.evidence.class);
            assert.equal(json.evidence.class, evidence.topClasses(1)[0]!.index);
            // float32 values (logit, bias) are written as the shortest decimal of the float32.
            assert.deepEqual(
              { ...json.evidence, logit: Math.fround(json.evidence.logit), bias: Math.fround(json.evidence.bias) },
              {
                class: core.classIndex,
                label: core.label,
                logit: core.logit,
                bias: core.bias,
                clip: { percentile: 99, limit: core.clip(99).limit },
                for: { sum: core.split.positive, patches: core.split.positiveCount },
                against: { sum: core.split.negative, patches: core.split.negativeCount },
                contribution: Array.from(core.contributions),
                rank: Array.from(core.ranks),
                share: Array.from(core.shares),
              },
            );
          } finally {
            evidence.dispose();
          }
        } finally {
          net.dispose();
        }
      });
    });
  }
});
