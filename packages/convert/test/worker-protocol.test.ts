/**
 * How `CheckpointConverter` brings errors back from its worker (worker-protocol.ts): each error the
 * converter throws, made by a real refusal, survives serializeError → structured clone →
 * deserializeError as the same class, message and fields; and `convertCheckpointWeights`, what the
 * worker runs, gives the weights `convertCheckpoint` builds its model from. The browser side (a real
 * worker) is checkpoint-converter.browser.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';

import { BagNetAbortError, useBackend } from '@bagnet-vis/core';

import {
  CheckpointArchitectureError,
  CheckpointBudgetError,
  CheckpointFormatError,
  convertCheckpoint,
  convertCheckpointWeights,
  ConvertOptionsError,
  UnsafePickleError,
} from '../src/index.js';
import { deserializeError, serializeError } from '../src/worker-protocol.js';
import { PickleWriter, torchZip } from '../../../test/bad-inputs/pickle-writer.js';
import { noLeaks } from '../../../test/helpers/leaks.js';

const TINY = new URL(
  '../../../test/fixtures/checkpoints/bagnet9_c3_s0_w0.03125_b1111/bagnet9_c3_s0_w0.03125_b1111_zip.pth.tar',
  import.meta.url,
);
const good = new Uint8Array(readFileSync(TINY));
const missingKey = new Uint8Array(readFileSync(new URL('./fixtures/bagnet9_missing_key.pth', import.meta.url)));

async function refusal(
  bytes: Uint8Array,
  options: Parameters<typeof convertCheckpointWeights>[1] = {},
): Promise<Error> {
  try {
    await convertCheckpointWeights(bytes, options);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a refusal');
}

before(async () => {
  await useBackend('cpu');
});

describe('errors across the worker boundary', () => {
  test('every class the converter throws comes back with its class, message and fields', async () => {
    const unsafe = torchZip(
      new PickleWriter().proto(2).global('os', 'system').str('id').tuple1().reduce().stop().toBytes(),
      {},
    );
    const controller = new AbortController();
    controller.abort();
    const errors: [Error, new (...args: never[]) => Error][] = [
      [await refusal(good.subarray(0, 3000), { fileName: 'cut.pth' }), CheckpointFormatError],
      [await refusal(good, { maxBytes: 1000 }), CheckpointBudgetError],
      [await refusal(unsafe), UnsafePickleError],
      [await refusal(good, { labels: ['a'] }), ConvertOptionsError],
      [await refusal(missingKey), CheckpointArchitectureError],
      [await refusal(good, { signal: controller.signal }), BagNetAbortError],
      [await refusal(good, { maxBytes: -1 }), RangeError],
    ];
    for (const [error, type] of errors) {
      assert.ok(error instanceof type, `${error.name}: ${error.message}`);
      const back = deserializeError(structuredClone(serializeError(error)));
      assert.equal(back.constructor, error.constructor, error.name);
      assert.equal(back.name, error.name);
      assert.equal(back.message, error.message);
      assert.deepEqual({ ...back }, { ...error }, `${error.name}: fields`);
    }
    const budget = errors[1]![0] as CheckpointBudgetError;
    assert.ok(budget.requested > budget.limit, 'the budget error carries its numbers');
    const pickle = errors[2]![0] as UnsafePickleError;
    assert.equal(pickle.global, 'os.system');
    // Usable after: the same function converts the good file.
    const converted = await convertCheckpointWeights(good);
    assert.equal(converted.architecture.numClasses, 3);
  });

  test('convertCheckpointWeights gives the weights convertCheckpoint builds its model from, bit for bit', async () => {
    await noLeaks(async () => {
      const date = new Date('2026-01-02T00:00:00Z');
      const converted = await convertCheckpointWeights(good, { fileName: 'tiny.pth', date });
      const net = await convertCheckpoint(good, { fileName: 'tiny.pth', date });
      try {
        assert.deepEqual(converted.provenance, net.metadata.provenance);
        const weights = net.getWeights();
        assert.equal(weights.size, converted.weights.size);
        for (const [name, t] of weights) {
          const mine = converted.weights.get(name)!;
          assert.deepEqual(mine.shape, t.shape, name);
          assert.deepEqual(Buffer.from(mine.data.buffer), Buffer.from((await t.data()).buffer), name);
          t.dispose();
        }
      } finally {
        net.dispose();
      }
    });
  });
});
