/**
 * The short, seeded fuzz run of CI (test/fuzz/fuzzer.ts): a few thousand mutated checkpoints and
 * model.json files through the two readers. Every case must end normally or with a typed error and
 * a readable message, within the per-case bound, and the run must leave no tensors behind. The long
 * run (≥ 100,000 cases in child processes: hangs and out-of-memory aborts watched from outside, heap
 * growth measured after full GCs) is `node --conditions=source --import tsx test/fuzz/run.ts --cases 100000`.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import * as tf from '@tensorflow/tfjs-core';

import { addResult, describeCase, emptySummary, loadCorpus, runCase } from '../fuzz/fuzzer.js';
import type { Corpus, TargetName } from '../fuzz/fuzzer.js';

const SEED = 20190214;
/** Per-case bound: generous for a busy CI machine (the slowest case of a 100,000-case run takes ~0.2 s). */
const CASE_MS = 3000;
const CASES: Record<TargetName, number> = { checkpoint: 3000, 'model-json': 1200 };

let corpus: Corpus;
before(async () => {
  corpus = await loadCorpus();
});

describe('seeded fuzzing of the model readers', () => {
  for (const target of ['checkpoint', 'model-json'] as const) {
    test(`${CASES[target]} mutated ${target} inputs: typed errors only, no slow case, no leak`, async () => {
      const tensors = tf.memory().numTensors;
      const summary = emptySummary();
      for (let i = 0; i < CASES[target]; i++) addResult(summary, await runCase(corpus, target, SEED, i), CASE_MS);
      const failures = [...summary.crashes, ...summary.oversized, ...summary.slow].map((r) => describeCase(r, SEED));
      assert.deepEqual(failures, [], failures.join('\n'));
      assert.equal(summary.cases, CASES[target]);
      // The mutations reach past the first checks: every reader stage refuses something.
      const kinds = Object.keys(summary.byError).sort();
      assert.deepEqual(
        kinds,
        target === 'checkpoint'
          ? ['CheckpointArchitectureError', 'CheckpointFormatError', 'UnsafePickleError']
          : ['BagNetFormatError'],
      );
      assert.ok(summary.ok > 0, 'some mutations leave a readable file');
      assert.equal(tf.memory().numTensors, tensors, 'no tensor leak');
    });
  }
});
