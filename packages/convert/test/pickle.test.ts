/**
 * Unit tests of the safe unpickler on hand-assembled pickles and on pickles written by
 * CPython's `pickle.dumps` (protocols 2 to 5; the hex strings below were produced with
 * Python 3.11, see the object in the comment).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { CheckpointFormatError, PickleTuple, UnsafePickleError, unpickle } from '../src/index.js';
import type { PickleValue } from '../src/index.js';

function hex(h: string): Uint8Array {
  return Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
}

/** Concatenates opcode bytes, strings (as latin-1) and numbers (as single bytes). */
function bytes(...parts: (string | number | Uint8Array)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') for (const c of p) out.push(c.charCodeAt(0));
    else out.push(...p);
  }
  return Uint8Array.from(out);
}

function u32(n: number): Uint8Array {
  return Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
}

function binunicode(s: string): Uint8Array {
  return bytes('X', u32(s.length), s);
}

/*
 * obj = {'ints': [0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31 - 1, 2**31, -2**31 - 1,
 *                 2**53 - 1, 2**53, -2**63, 2**64 + 5],
 *        'floats': (0.5, -1e-300, 1e308), 'strs': ('', 'abc', 'ünïcødé ✓ 😀'),
 *        'flags': [True, False, None], 'tuples': ((), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)),
 *        'od': OrderedDict([('x', 1), ('y', [1, 2])]), 7: 'int key', 'shared': (s, s) with s = [1, 2]}
 * plus 'bytes': b'\x00\x01\xff' from protocol 3, 'set': {1, 2, 3} and
 * 'frozen': frozenset({'a'}) from protocol 4 (earlier protocols pickle those through
 * globals that are not allow-listed).
 */
const CPYTHON: Record<number, string> = {
  2: '80027d7100285804000000696e747371015d7102284b004b014affffffff4bff4d00014dffff4a000001004a000000804affffff7f8a0500000080008a05ffffff7fff8a07ffffffffffff1f8a07000000000000208a0800000000000000808a09050000000000000001655806000000666c6f6174737103473fe00000000000004781a56e1fc2f8f359477fe1ccf385ebc8a0877104580400000073747273710558000000007106580300000061626371075814000000c3bc6ec3af63c3b864c3a920e29c9320f09f988071088771095805000000666c616773710a5d710b2888894e6558060000007475706c6573710c28294b0185710d4b014b0286710e4b014b024b0387710f284b014b024b034b0474711074711158020000006f64711263636f6c6c656374696f6e730a4f726465726564446963740a7113295271142858010000007871154b0158010000007971165d7117284b014b0265754b075807000000696e74206b65797118580600000073686172656471195d711a284b014b0265681a86711b752e',
  3: '80037d7100285804000000696e747371015d7102284b004b014affffffff4bff4d00014dffff4a000001004a000000804affffff7f8a0500000080008a05ffffff7fff8a07ffffffffffff1f8a07000000000000208a0800000000000000808a09050000000000000001655806000000666c6f6174737103473fe00000000000004781a56e1fc2f8f359477fe1ccf385ebc8a0877104580400000073747273710558000000007106580300000061626371075814000000c3bc6ec3af63c3b864c3a920e29c9320f09f988071088771095805000000666c616773710a5d710b2888894e6558060000007475706c6573710c28294b0185710d4b014b0286710e4b014b024b0387710f284b014b024b034b0474711074711158020000006f64711263636f6c6c656374696f6e730a4f726465726564446963740a7113295271142858010000007871154b0158010000007971165d7117284b014b0265754b075807000000696e74206b65797118580600000073686172656471195d711a284b014b0265681a86711b58050000006279746573711c43030001ff711d752e',
  4: '80049576010000000000007d94288c04696e7473945d94284b004b014affffffff4bff4d00014dffff4a000001004a000000804affffff7f8a0500000080008a05ffffff7fff8a07ffffffffffff1f8a07000000000000208a0800000000000000808a09050000000000000001658c06666c6f61747394473fe00000000000004781a56e1fc2f8f359477fe1ccf385ebc8a087948c0473747273948c00948c03616263948c14c3bc6ec3af63c3b864c3a920e29c9320f09f98809487948c05666c616773945d942888894e658c067475706c65739428294b0185944b014b0286944b014b024b038794284b014b024b034b04749474948c026f64948c0b636f6c6c656374696f6e73948c0b4f72646572656444696374949394295294288c0178944b018c0179945d94284b014b0265754b078c07696e74206b6579948c06736861726564945d94284b014b0265681c86948c0562797465739443030001ff948c03736574948f94284b014b024b03908c0666726f7a656e94288c0161949194752e',
  5: '80059576010000000000007d94288c04696e7473945d94284b004b014affffffff4bff4d00014dffff4a000001004a000000804affffff7f8a0500000080008a05ffffff7fff8a07ffffffffffff1f8a07000000000000208a0800000000000000808a09050000000000000001658c06666c6f61747394473fe00000000000004781a56e1fc2f8f359477fe1ccf385ebc8a087948c0473747273948c00948c03616263948c14c3bc6ec3af63c3b864c3a920e29c9320f09f98809487948c05666c616773945d942888894e658c067475706c65739428294b0185944b014b0286944b014b024b038794284b014b024b034b04749474948c026f64948c0b636f6c6c656374696f6e73948c0b4f72646572656444696374949394295294288c0178944b018c0179945d94284b014b0265754b078c07696e74206b6579948c06736861726564945d94284b014b0265681c86948c0562797465739443030001ff948c03736574948f94284b014b024b03908c0666726f7a656e94288c0161949194752e',
};

describe('unpickle: data written by CPython', () => {
  for (const protocol of [2, 3, 4, 5]) {
    test(`protocol ${protocol}`, () => {
      const data = hex(CPYTHON[protocol] as string);
      const { value, end } = unpickle(data);
      assert.equal(end, data.length);
      assert.ok(value instanceof Map);
      assert.deepEqual(value.get('ints'), [
        0,
        1,
        -1,
        255,
        256,
        65535,
        65536,
        -(2 ** 31),
        2 ** 31 - 1,
        2 ** 31,
        -(2 ** 31) - 1,
        Number.MAX_SAFE_INTEGER,
        2n ** 53n,
        -(2n ** 63n),
        2n ** 64n + 5n,
      ]);
      assert.deepEqual(value.get('floats'), new PickleTuple([0.5, -1e-300, 1e308]));
      assert.deepEqual(value.get('strs'), new PickleTuple(['', 'abc', 'ünïcødé ✓ 😀']));
      assert.deepEqual(value.get('flags'), [true, false, null]);
      const tuples = value.get('tuples');
      assert.ok(tuples instanceof PickleTuple);
      assert.deepEqual(
        tuples.items.map((t) => (t instanceof PickleTuple ? t.items : null)),
        [[], [1], [1, 2], [1, 2, 3], [1, 2, 3, 4]],
      );
      assert.deepEqual(
        value.get('od'),
        new Map<PickleValue, PickleValue>([
          ['x', 1],
          ['y', [1, 2]],
        ]),
      );
      assert.equal(value.get(7), 'int key');
      const shared = value.get('shared');
      assert.ok(shared instanceof PickleTuple);
      assert.equal(shared.items[0], shared.items[1], 'memoized object is shared, not copied');
      if (protocol >= 3) assert.deepEqual(value.get('bytes'), Uint8Array.of(0, 1, 255));
      if (protocol >= 4) {
        assert.deepEqual(value.get('set'), new Set([1, 2, 3]));
        assert.deepEqual(value.get('frozen'), new Set(['a']));
      }
    });

    test(`protocol ${protocol}: every truncation is a CheckpointFormatError`, () => {
      const data = hex(CPYTHON[protocol] as string);
      for (let cut = 0; cut < data.length; cut++) {
        assert.throws(
          () => unpickle(data.subarray(0, cut)),
          (e: unknown) => e instanceof CheckpointFormatError && typeof e.offset === 'number',
          `cut at ${cut}`,
        );
      }
    });
  }
});

describe('unpickle: opcodes', () => {
  test('consecutive pickles: end points at the next one', () => {
    const data = bytes(0x80, 2, 'K', 5, '.', 0x80, 2, 'N', '.');
    const first = unpickle(data);
    assert.equal(first.value, 5);
    assert.equal(first.end, 5);
    assert.equal(unpickle(data, { offset: first.end }).value, null);
  });

  test('LONG1/LONG4, BINSTRING, SHORT_BINSTRING, BINUNICODE8, LIST, DICT, DUP, POP, POP_MARK', () => {
    const data = bytes(
      0x80,
      2,
      '(',
      0x8a,
      0, // LONG1 0 bytes -> 0
      0x8a,
      1,
      0xff, // -1
      0x8b,
      u32(2),
      0x00,
      0x80, // LONG4 -> -32768
      'T',
      u32(2),
      'hi', // BINSTRING
      'U',
      2,
      'yo', // SHORT_BINSTRING
      0x8d,
      u32(1),
      u32(0),
      'z', // BINUNICODE8
      '(',
      'K',
      1,
      'K',
      2,
      'd', // DICT {1: 2}
      'K',
      9,
      '2',
      '0', // DUP then POP
      '(',
      'K',
      3,
      '1', // POP_MARK discards [3]
      'l',
      '.',
    );
    const { value } = unpickle(data);
    assert.deepEqual(value, [0, -1, -32768, 'hi', 'yo', 'z', new Map([[1, 2]]), 9]);
  });

  test('memo: BINPUT/BINGET, LONG_BINPUT/LONG_BINGET, MEMOIZE', () => {
    const data = bytes(
      0x80,
      4,
      ']',
      'q',
      3,
      'K',
      1,
      'a', // [1] stored as memo 3
      0x94, // MEMOIZE: stored as memo 1 (the memo's size)
      'r',
      u32(70000),
      '0', // LONG_BINPUT 70000, POP
      'h',
      3,
      'j',
      u32(70000),
      'h',
      1,
      0x87,
      '.',
    );
    const { value } = unpickle(data);
    assert.ok(value instanceof PickleTuple);
    const [a, b, c] = value.items;
    assert.deepEqual(a, [1]);
    assert.equal(a, b);
    assert.equal(a, c);
  });

  test('a self-referencing list does not hang', () => {
    const { value } = unpickle(bytes(0x80, 2, ']', 'q', 0, 'h', 0, 'a', '.'));
    assert.ok(Array.isArray(value));
    assert.equal(value[0], value);
  });

  test('collections.OrderedDict via NEWOBJ and with a Python 2 item list', () => {
    const od = bytes('c', 'collections\nOrderedDict\n');
    assert.deepEqual(unpickle(bytes(0x80, 2, od, ')', 0x81, '.')).value, new Map());
    const py2 = bytes(0x80, 2, od, ']', ']', binunicode('k'), 'a', 'K', 4, 'a', 'a', 0x85, 'R', '.');
    assert.deepEqual(unpickle(py2).value, new Map([['k', 4]]));
  });

  test('BUILD on a dict (state_dict _metadata) keeps the items', () => {
    const od = bytes('c', 'collections\nOrderedDict\n');
    const data = bytes(
      0x80,
      2,
      od,
      ')',
      'R',
      binunicode('w'),
      'K',
      1,
      's',
      '}',
      binunicode('_metadata'),
      '}',
      's',
      'b',
      '.',
    );
    assert.deepEqual(unpickle(data).value, new Map([['w', 1]]));
  });

  test('persistent ids go to persistentLoad with the opcode offset', () => {
    const seen: [PickleValue, number][] = [];
    const data = bytes(0x80, 2, binunicode('pid'), 'Q', 'P', 'text\n', 0x86, '.');
    const { value } = unpickle(data, {
      persistentLoad: (pid, offset) => {
        seen.push([pid, offset]);
        return `loaded ${String(pid)}`;
      },
    });
    assert.deepEqual(seen, [
      ['pid', 10],
      ['text', 11],
    ]);
    assert.deepEqual(value, new PickleTuple(['loaded pid', 'loaded text']));
    assert.throws(() => unpickle(data), CheckpointFormatError, 'no persistentLoad');
  });
});

describe('unpickle: malformed input', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /ends there/],
    ['unknown opcode', bytes(0x80, 2, 0xff, '.'), /unknown pickle opcode 0xff at byte 2/],
    ['protocol 0 text opcode', bytes('I01\n.'), /text opcode INT at byte 0/],
    ['protocol 6', bytes(0x80, 6, 'N', '.'), /protocol 6/],
    ['stack underflow', bytes(0x80, 2, 'a', '.'), /APPEND at byte 2 of test.pkl pops from an empty stack/],
    ['missing memo entry', bytes(0x80, 2, 'h', 7, '.'), /memo entry 7, which was never stored/],
    ['STOP inside a MARK', bytes(0x80, 2, '(', 'N', '.'), /inside an open MARK/],
    ['TUPLE without MARK', bytes(0x80, 2, 'N', 't', '.'), /without a matching MARK/],
    ['APPEND to a tuple', bytes(0x80, 2, ')', 'N', 'a', '.'), /expects a list but found tuple/],
    ['SETITEMS odd count', bytes(0x80, 2, '}', '(', 'N', 'u', '.'), /odd number of items/],
    ['huge BINUNICODE length', bytes(0x80, 2, 'X', u32(0xffffffff), '.'), /needs 4294967295 more bytes/],
    ['huge BINUNICODE8 length', bytes(0x80, 4, 0x8d, u32(0), u32(0xffffffff), '.'), /more than 2\^53 bytes/],
    ['huge LONG4', bytes(0x80, 2, 0x8b, u32(1 << 30), '.'), /integers of more than 1024 bytes/],
    ['FRAME past the end', bytes(0x80, 4, 0x95, u32(100), u32(0), 'N', '.'), /needs 100 more bytes/],
    ['out-of-band buffer', bytes(0x80, 5, 0x97, '.'), /out-of-band buffers/],
    ['GLOBAL without newline', bytes(0x80, 2, 'c', 'x'.repeat(2000)), /no newline within 1024 bytes/],
    ['MARK bomb', bytes(0x80, 2, '('.repeat(100000), '.'), /MARKs nested deeper than 1000 at byte 1002/],
    ['tuple nesting', bytes(0x80, 2, 'N', '\x85'.repeat(5000), '.'), /containers nested deeper than 1000/],
  ];
  for (const [name, data, message] of cases) {
    test(name, () => {
      assert.throws(
        () => unpickle(data, { record: 'test.pkl' }),
        (e: unknown) => e instanceof CheckpointFormatError && message.test(e.message) && e.record === 'test.pkl',
      );
    });
  }

  test('the depth limit can be lowered', () => {
    const nested = bytes(0x80, 2, ']'.repeat(11), 'a'.repeat(10), '.');
    assert.doesNotThrow(() => unpickle(nested, { maxDepth: 11 }));
    assert.throws(() => unpickle(nested, { maxDepth: 10 }), CheckpointFormatError);
  });
});

describe('unpickle: refused globals and opcodes', () => {
  const refusedGlobals: [string, Uint8Array, string][] = [
    ['GLOBAL', bytes(0x80, 2, 'c', 'os\nsystem\n', binunicode('true'), 0x85, 'R', '.'), 'os.system'],
    ['STACK_GLOBAL', bytes(0x80, 4, 0x8c, 8, 'builtins', 0x8c, 4, 'eval', 0x93, '.'), 'builtins.eval'],
    ['GLOBAL of a torch function', bytes(0x80, 2, 'c', 'torch\nload\n', '.'), 'torch.load'],
    [
      'GLOBAL of a similar name',
      bytes(0x80, 2, 'c', 'torch._utils\n_rebuild_qtensor\n', '.'),
      'torch._utils._rebuild_qtensor',
    ],
    [
      'GLOBAL of a storage from another module',
      bytes(0x80, 2, 'c', 'numpy\nFloatStorage\n', '.'),
      'numpy.FloatStorage',
    ],
  ];
  for (const [name, data, global] of refusedGlobals) {
    test(`${name} ${global}`, () => {
      assert.throws(
        () => unpickle(data),
        (e: unknown) =>
          e instanceof UnsafePickleError &&
          e.global === global &&
          e.offset === 2 + (name === 'STACK_GLOBAL' ? 16 : 0) &&
          e.message.includes(`'${global}'`) &&
          e.message.includes('Nothing was imported or executed'),
      );
    });
  }

  const refusedOps: [string, Uint8Array, string][] = [
    ['INST', bytes(0x80, 2, '(', 'i', 'os\nsystem\n', '.'), 'INST'],
    ['OBJ', bytes(0x80, 2, '(', 'N', 'o', '.'), 'OBJ'],
    ['EXT1', bytes(0x80, 2, 0x82, 1, '.'), 'EXT1'],
    ['EXT2', bytes(0x80, 2, 0x83, 1, 0, '.'), 'EXT2'],
    ['EXT4', bytes(0x80, 2, 0x84, u32(1), '.'), 'EXT4'],
    ['REDUCE on a string', bytes(0x80, 2, binunicode('os.system'), ')', 'R', '.'), 'REDUCE'],
    ['REDUCE on a storage type', bytes(0x80, 2, 'c', 'torch\nFloatStorage\n', ')', 'R', '.'), 'REDUCE'],
    ['NEWOBJ on a storage type', bytes(0x80, 2, 'c', 'torch\nFloatStorage\n', ')', 0x81, '.'), 'NEWOBJ'],
    [
      'NEWOBJ OrderedDict with arguments',
      bytes(0x80, 2, 'c', 'collections\nOrderedDict\n', 'N', 0x85, 0x81, '.'),
      'NEWOBJ',
    ],
    ['BUILD on a list', bytes(0x80, 2, ']', '}', 'b', '.'), 'BUILD'],
  ];
  for (const [name, data, opcode] of refusedOps) {
    test(name, () => {
      assert.throws(
        () => unpickle(data),
        (e: unknown) => e instanceof UnsafePickleError && e.opcode === opcode && /Nothing was/.test(e.message),
      );
    });
  }
});
