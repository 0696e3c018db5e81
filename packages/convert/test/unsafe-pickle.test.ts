/**
 * Malicious pickles and checkpoints (written by make-pickle-fixtures.py, never loaded by
 * Python) must be refused with an UnsafePickleError that names the global, at the opcode that
 * names it. That nothing in the reader can call what they ask for is unpickler-reach.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { CheckpointFormatError, UnsafePickleError, readTorchCheckpoint, unpickle } from '../src/index.js';

const HERE = new URL('./fixtures/', import.meta.url);

function read(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, HERE)));
}

function isRefusal(global: string, opcode: string): (e: unknown) => boolean {
  return (e) =>
    e instanceof UnsafePickleError &&
    e.global === global &&
    e.opcode === opcode &&
    e.message.includes(`'${global}'`) &&
    /Nothing was (imported or )?executed/.test(e.message);
}

describe('malicious pickles are refused', () => {
  const cases: [file: string, global: string, opcode: string][] = [
    ['evil_os_system.pkl', 'os.system', 'GLOBAL'],
    ['evil_posix_system.pkl', 'posix.system', 'GLOBAL'],
    ['evil_builtins_eval.pkl', 'builtins.eval', 'STACK_GLOBAL'],
    ['evil_subprocess_popen.pkl', 'subprocess.Popen', 'GLOBAL'],
    ['evil_reduce_storage_type.pkl', 'torch.FloatStorage', 'REDUCE'],
    ['evil_checkpoint_legacy.pth', 'posix.system', 'GLOBAL'],
    ['evil_checkpoint_zip.pth', 'posix.system', 'GLOBAL'],
    ['evil_whole_model.pth', 'torch.nn.modules.linear.Linear', 'GLOBAL'],
  ];
  for (const [file, global, opcode] of cases) {
    test(`${file}: ${global}`, () => {
      const data = read(file);
      assert.throws(() => readTorchCheckpoint(data, { fileName: file }), isRefusal(global, opcode));
      if (file.endsWith('.pkl')) assert.throws(() => unpickle(data), isRefusal(global, opcode));
    });
  }

  test('the GLOBAL is refused at its own offset, before the REDUCE that would call it', () => {
    // evil_os_system.pkl: PROTO 2, GLOBAL 'os system' at byte 2, ..., REDUCE near the end
    const data = read('evil_os_system.pkl');
    assert.throws(
      () => unpickle(data),
      (e: unknown) => e instanceof UnsafePickleError && e.offset === 2,
    );
  });

  test('100000 nested lists hit the depth limit', () => {
    assert.throws(
      () => readTorchCheckpoint(read('evil_nested_lists.pkl')),
      (e: unknown) => e instanceof CheckpointFormatError && /nested deeper than 1000/.test(e.message),
    );
  });

  test('5000 nested dicts hit the depth limit', () => {
    // PROTO 2, (EMPTY_DICT NONE) × 5000, EMPTY_DICT, SETITEM × 5000, STOP
    const n = 5000;
    const ops = [
      0x80,
      2,
      ...Array.from({ length: n }, () => [0x7d, 0x4e]).flat(),
      0x7d,
      ...new Array<number>(n).fill(0x73),
      0x2e,
    ];
    assert.throws(
      () => unpickle(Uint8Array.from(ops)),
      (e: unknown) => e instanceof CheckpointFormatError && /containers nested deeper than 1000/.test(e.message),
    );
  });
});
