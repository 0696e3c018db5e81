/**
 * The bad-input catalogue (test/bad-inputs/catalogue.ts), Node side: every `runs: 'node'` entry is
 * produced by its runner (test/bad-inputs/node-cases.ts) and must end with exactly the catalogued
 * error class and message, leave no tensors behind and come back quickly (no input may make the
 * reader work for long: the per-case bound is a few seconds on a busy machine), and be followed by a
 * good input through the same surface that works (the same API, loaded model or CLI).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as tf from '@tensorflow/tfjs-core';

import { useBackend } from '@bagnet-vis/core';

import { CATALOGUE } from '../bad-inputs/catalogue.js';
import { goodInputAfter, nodeRunners, Workspace } from '../bad-inputs/node-cases.js';
import type { Runner } from '../bad-inputs/node-cases.js';

const CASE_MS = 5000;
/** What the good input after each case must produce, by area. */
const GOOD_AFTER: Partial<Record<string, RegExp>> = {
  checkpoint: /^converted BagNet-9, 3 classes, logits -?\d+\.\d{3} -?\d+\.\d{3} -?\d+\.\d{3}$/,
  'model.json': /^loaded 4 classes, top (cat|dog|car|tree)$/,
  image: /^same model: top (cat|dog|car|tree)$/,
  cli: /(cat|dog|car|tree)/,
};

let ws: Workspace;
let runners: Record<string, Runner>;
before(async () => {
  await useBackend('cpu');
  tf.enableProdMode();
  ws = new Workspace();
  runners = nodeRunners(ws);
  assert.ok(ws.net.numClasses > 0); // the shared model exists before tensors are counted
});
after(() => ws.close());

describe('bad-input catalogue', () => {
  test('lists at least 30 cases in every area, each once, each with a runner', () => {
    assert.ok(CATALOGUE.length >= 30, `${CATALOGUE.length} cases`);
    const ids = CATALOGUE.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');
    for (const area of ['checkpoint', 'model.json', 'image', 'element', 'page-safety', 'cli'] as const) {
      assert.ok(
        CATALOGUE.some((c) => c.area === area),
        `a case for ${area}`,
      );
    }
    const node = CATALOGUE.filter((c) => c.runs === 'node').map((c) => c.id);
    assert.deepEqual(Object.keys(runners).sort(), [...node].sort(), 'node runners ↔ catalogue');
  });

  for (const entry of CATALOGUE.filter((c) => c.runs === 'node')) {
    test(`${entry.id}: ${entry.input} → ${entry.error}`, async () => {
      const tensors = tf.memory().numTensors;
      const result = await runners[entry.id]!();
      const outcomes = Array.isArray(result) ? result : [result];
      assert.ok(outcomes.length > 0);
      for (const o of outcomes) {
        assert.equal(o.name, entry.error, `${entry.id}: got ${o.name}: ${o.message}`);
        assert.match(o.message, entry.message, entry.id);
        assert.ok((o.ms ?? 0) < CASE_MS, `${entry.id} took ${o.ms} ms`);
      }
      // Usable after: a good input through the same surface works.
      const after = await goodInputAfter(entry.id, ws);
      assert.match(after, GOOD_AFTER[entry.area] as RegExp, `${entry.id}: after it, ${after}`);
      assert.equal(tf.memory().numTensors, tensors, 'no tensor leak');
    });
  }
});
