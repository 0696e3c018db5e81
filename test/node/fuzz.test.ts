/**
 * The short, seeded fuzz run of CI (test/fuzz/fuzzer.ts): a few thousand mutated checkpoints and
 * model.json files through the two readers. Every case must end normally or with a typed error and
 * a readable message, within the per-case bound, and the run must leave no tensors behind. The long
 * run (≥ 100,000 cases in child processes: hangs and out-of-memory aborts watched from outside, heap
 * growth measured after full GCs) is `node --conditions=source --import tsx test/fuzz/run.ts --cases 100000`.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import * as tf from '@tensorflow/tfjs-core';

import { addResult, describeCase, emptySummary, loadCorpus, runCase } from '../fuzz/fuzzer.js';
import type { Corpus, TargetName } from '../fuzz/fuzzer.js';
import { heapGrowthBound } from '../fuzz/heap-bound.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** Heap in use after a full GC. */
function heapAfterGc(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

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
      // Warm-up (as the long run does): tfjs kernels and caches are set up by the first cases.
      const warmup = 100;
      let heap = 0;
      for (let i = 0; i < CASES[target]; i++) {
        if (i === warmup) heap = heapAfterGc();
        addResult(summary, await runCase(corpus, target, SEED, i), CASE_MS);
      }
      const growth = heapAfterGc() - heap;
      const bound = heapGrowthBound(CASES[target] - warmup);
      assert.ok(
        growth <= bound,
        `heap grew by ${(growth / 2 ** 20).toFixed(2)} MiB, bound ${(bound / 2 ** 20).toFixed(2)} MiB`,
      );
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
