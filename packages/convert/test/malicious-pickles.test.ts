/**
 * The malicious pickle set (fixtures/malicious/, written by make-malicious-pickles.py and never
 * loaded by Python; floods built here): globals that run code (os.system, builtins.exec,
 * subprocess.*, __import__, getattr, importlib, numpy and torch loaders) as GLOBAL and
 * STACK_GLOBAL, object-building opcodes (REDUCE on what is not an allow-listed callable, BUILD,
 * INST, OBJ, NEWOBJ, NEWOBJ_EX, EXT1/2/4), persistent ids that point outside the archive, deep
 * nesting, huge memo indices and floods. Every one is refused — by `unpickle`, and by
 * `readTorchCheckpoint` when it is the data.pkl of a zip checkpoint or the main pickle of a legacy
 * one — quickly. That nothing in the reader can call what they ask for is unpickler-reach.test.ts.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { zipSync } from 'fflate';

import { CheckpointFormatError, readTorchCheckpoint, UnsafePickleError, unpickle } from '../src/index.js';

const DIR = new URL('./fixtures/malicious/', import.meta.url);
/** A refusal must come fast: no input may make the reader work for long. */
const MAX_MS = 2000;

interface Refusal {
  readonly error: typeof UnsafePickleError | typeof CheckpointFormatError;
  readonly global?: string;
  readonly opcode?: string;
  readonly message: RegExp;
}

const unsafe = (global: string | undefined, opcode: string): Refusal => ({
  error: UnsafePickleError,
  ...(global !== undefined && { global }),
  opcode,
  message:
    global !== undefined && opcode.endsWith('GLOBAL')
      ? new RegExp(
          `^refused global '${global.replace(/\./g, '\\.')}' \\(${opcode} at byte \\d+.*Nothing was imported or executed\\.`,
        )
      : new RegExp(`^refused (opcode )?${opcode} at byte \\d+.*Nothing was executed\\.`),
});
const corrupt = (message: RegExp): Refusal => ({ error: CheckpointFormatError, message });

/** What each committed file must be refused with (by unpickle for .pkl, by the reader for .pth). */
const EXPECTED: Record<string, Refusal | 'harmless'> = {
  'os_system_p0.pkl': unsafe('posix.system', 'GLOBAL'),
  'os_system_p4.pkl': unsafe('posix.system', 'STACK_GLOBAL'),
  'builtins_exec_p2.pkl': unsafe('__builtin__.exec', 'GLOBAL'),
  'builtins_exec_p5.pkl': unsafe('builtins.exec', 'STACK_GLOBAL'),
  'builtins_import_p4.pkl': unsafe('builtins.__import__', 'STACK_GLOBAL'),
  'builtins_getattr_p2.pkl': unsafe('__builtin__.getattr', 'GLOBAL'),
  'importlib_import_module_p3.pkl': unsafe('importlib.import_module', 'GLOBAL'),
  'subprocess_run_p4.pkl': unsafe('subprocess.run', 'STACK_GLOBAL'),
  'subprocess_check_output_p2.pkl': unsafe('subprocess.check_output', 'GLOBAL'),
  'subprocess_call_p0.pkl': unsafe('commands.call', 'GLOBAL'), // protocol 0 writes Python 2's module name
  'torch_load_from_bytes.pkl': unsafe('torch.storage._load_from_bytes', 'GLOBAL'),
  'numpy_reconstruct.pkl': unsafe('numpy.core.multiarray._reconstruct', 'GLOBAL'),
  'payload_as_storage.pkl': unsafe('posix.system', 'GLOBAL'),
  'memo_then_payload.pkl': unsafe('posix.system', 'GLOBAL'),
  'inst_os_system.pkl': unsafe(undefined, 'INST'),
  'obj_allowed_class.pkl': unsafe(undefined, 'OBJ'),
  'obj_os_system.pkl': unsafe('os.system', 'GLOBAL'),
  'newobj_ordered_dict_args.pkl': unsafe('collections.OrderedDict', 'NEWOBJ'),
  'newobj_storage_type.pkl': unsafe('torch.FloatStorage', 'NEWOBJ'),
  'newobj_ex_storage_type.pkl': unsafe('torch.FloatStorage', 'NEWOBJ_EX'),
  'reduce_non_callable.pkl': unsafe(undefined, 'REDUCE'),
  'reduce_rebuild_on_payload.pkl': unsafe('posix.system', 'GLOBAL'),
  'build_on_tensor.pkl': unsafe(undefined, 'BUILD'),
  'build_string_state.pkl': unsafe(undefined, 'BUILD'),
  'ext1.pkl': unsafe(undefined, 'EXT1'),
  'ext2.pkl': unsafe(undefined, 'EXT2'),
  'ext4.pkl': unsafe(undefined, 'EXT4'),
  'pid_parent_dirs.pth': corrupt(
    /^'pid_parent_dirs\.pth': record 'archive\/data\/\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd' is missing from the archive/,
  ),
  'pid_absolute.pth': corrupt(
    /^'pid_absolute\.pth': record 'archive\/data\/\/etc\/passwd' is missing from the archive/,
  ),
  'pid_url.pth': corrupt(/^'pid_url\.pth': record 'archive\/data\/https:\/\/elsewhere\.invalid\/payload' is missing/),
  'pid_module.pth': unsafe('os.system', 'GLOBAL'),
  'pid_not_a_tuple.pth': corrupt(
    /^Invalid checkpoint: persistent id at byte \d+ of archive\/data\.pkl is str 'touch \/tmp\//,
  ),
  'pid_text_persid.pkl': corrupt(
    /^Invalid pickle: persistent id at byte 0 in a pickle that should not reference external data\.$/,
  ),
  'nested_marks.pkl': corrupt(/MARKs nested deeper than 1000 at byte 1002; .*corrupt or hostile/),
  'nested_frozensets.pkl': corrupt(/MARKs nested deeper than 1000/),
  'nested_tuples.pkl': corrupt(/containers nested deeper than 1000/),
  'self_appending_list.pkl': corrupt(/APPEND at byte 10 changes a container that already sits inside another one/),
  'huge_memo_get.pkl': corrupt(/LONG_BINGET at byte 2 refers to memo entry 4294967294, which was never stored/),
  'huge_memo_index.pkl': 'harmless', // a dict at memo index 2^32 − 1: a map entry, not a 32 GB array
  'billion_laughs.pkl': 'harmless', // 10^30 references to shared lists: 30 small lists
  'frame_2e60.pkl': corrupt(/FRAME at byte 2 declares a length of more than 2\^53 bytes/),
  'binunicode8_4gb.pkl': corrupt(/BINUNICODE8 \(at byte 2\) needs 4294967296 more bytes but 4 remain/),
  'long4_1gb.pkl': corrupt(/LONG4 at byte 2 has length 1073741824; integers of more than 1024 bytes are not accepted/),
  'global_without_newline.pkl': corrupt(/GLOBAL at byte 2 has no newline within 1024 bytes/),
};

function read(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, DIR)));
}

function matches(r: Refusal): (e: unknown) => boolean {
  return (e) => {
    if (!(e instanceof r.error)) return false;
    if (e instanceof UnsafePickleError && (e.global !== r.global || e.opcode !== r.opcode)) return false;
    assert.match(e.message, r.message);
    return true;
  };
}

/** `pkl` as the data.pkl of a torch.save zip archive. */
function inZip(pkl: Uint8Array): Uint8Array {
  return zipSync({ 'archive/data.pkl': pkl, 'archive/version': new TextEncoder().encode('3\n') }, { level: 0 });
}

/** `pkl` as the main pickle of a legacy torch.save file (after magic number, protocol, sys_info). */
function inLegacy(pkl: Uint8Array): Uint8Array {
  const magic = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];
  const protocol = [0x80, 0x02, 0x4d, 0xe9, 0x03, 0x2e]; // BININT2 1001
  const sysInfo = [0x80, 0x02, 0x7d, 0x2e]; // {}
  return Uint8Array.from([...magic, ...protocol, ...sysInfo, ...pkl]);
}

/** Runs `fn` and asserts the CPU time it took (wall time would measure the other processes). */
function timed<T>(fn: () => T): T {
  const t0 = process.cpuUsage();
  try {
    return fn();
  } finally {
    const used = process.cpuUsage(t0);
    const ms = (used.user + used.system) / 1000;
    assert.ok(ms < MAX_MS, `took ${ms.toFixed(0)} ms of CPU`);
  }
}

describe('the malicious pickle set is refused and nothing runs', () => {
  test('every committed file has an expectation (and every expectation a file)', () => {
    assert.deepEqual(readdirSync(DIR).sort(), Object.keys(EXPECTED).sort());
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    test(file, () => {
      const bytes = read(file);
      if (expected === 'harmless') {
        assert.notEqual(timed(() => unpickle(bytes)).value, undefined);
        assert.throws(
          () => timed(() => readTorchCheckpoint(inZip(bytes), { fileName: file })),
          (e: unknown) => e instanceof CheckpointFormatError && /not a state_dict|empty state_dict/.test(e.message),
        );
        return;
      }
      if (file.endsWith('.pth')) {
        assert.throws(() => timed(() => readTorchCheckpoint(bytes, { fileName: file })), matches(expected));
        return;
      }
      assert.throws(() => timed(() => unpickle(bytes)), matches(expected));
      // The same refusal from inside a checkpoint, zip and legacy (messages then name the record;
      // a persistent id gets the checkpoint's storage loader instead of no loader at all).
      const inArchive: Refusal =
        file === 'pid_text_persid.pkl'
          ? corrupt(/persistent id at byte 0 of .+ is str '\.\.\/\.\.\/etc\/passwd'/)
          : expected;
      // Positions and record names differ inside a container: compare the rest.
      const loose = {
        ...inArchive,
        message: new RegExp(
          inArchive.message.source.replace(/^\^/, '').replace(/at byte (\d+|\\d\+)/g, 'at byte \\d+(?: of [^;:)]+)?'),
        ),
      };
      assert.throws(() => timed(() => readTorchCheckpoint(inZip(bytes), { fileName: file })), matches(loose));
      assert.throws(() => timed(() => readTorchCheckpoint(inLegacy(bytes), { fileName: file })), matches(loose));
    });
  }

  test('floods (built here, a few MB each) hit their bounds quickly, with typed errors', () => {
    const flood = (head: number[], op: number, n: number) => {
      const b = new Uint8Array(head.length + n + 1);
      b.set(head);
      b.fill(op, head.length, head.length + n);
      b[b.length - 1] = 0x2e;
      return b;
    };
    const cases: [string, Uint8Array, RegExp][] = [
      // 17 M MEMOIZE used to pass V8's Map limit: a RangeError after 6 s and 1 GB.
      ['260 k MEMOIZE', flood([0x80, 0x04, 0x4e], 0x94, 260_000), /more than 250000 memo entries/],
      ['260 k NONE', flood([0x80, 0x02], 0x4e, 260_000), /more than 250000 values/],
      ['1 M MARK', flood([0x80, 0x02], 0x28, 1_000_000), /MARKs nested deeper than 1000/],
      ['200 k TUPLE1', flood([0x80, 0x02, 0x4e], 0x85, 200_000), /containers nested deeper than 1000/],
    ];
    for (const [what, bytes, message] of cases) {
      assert.throws(
        () => timed(() => unpickle(bytes)),
        (e: unknown) => e instanceof CheckpointFormatError && message.test(e.message),
        what,
      );
    }
    // Distinct LONG_BINPUT indices flood the memo the same way.
    const puts = [0x80, 0x02, 0x4e];
    for (let i = 0; i < 250_001; i++) puts.push(0x72, i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, 0);
    puts.push(0x2e);
    assert.throws(
      () => timed(() => unpickle(Uint8Array.from(puts))),
      (e: unknown) => e instanceof CheckpointFormatError && /more than 250000 memo entries/.test(e.message),
    );
  });
});
