/**
 * Tests of the PyTorch checkpoint reader.
 *
 * Fixtures:
 * - packages/convert/test/fixtures/*.pth and expected.json: written by
 *   make-pickle-fixtures.py with torch 1.13 (dtypes, views, storage sharing, protocols);
 *   expected values are float32 and compared exactly.
 * - test/fixtures/checkpoints/bagnet9_c3_s0_w0.03125_b1111/: a tiny BagNet-9 saved in every
 *   checkpoint layout by shared/reference/make_fixture.py; tiny_bagnet9_checksums.json
 *   holds torch's own per-tensor checksums of the plain file.
 * - test/fixtures/bagnet{9,17,33}_c10_s0_w0.125_b1111/: the small parity fixtures (legacy).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, test } from 'node:test';

import { unzipSync, zipSync } from 'fflate';

import { BagNetError } from '@bagnet-vis/core';

import { float32Bytes, stateDictPickle, torchZip } from '../../../test/bad-inputs/pickle-writer.js';
import type { TensorEntry } from '../../../test/bad-inputs/pickle-writer.js';
import {
  BagNetConvertError,
  CheckpointBudgetError,
  CheckpointFormatError,
  inspectTorchCheckpoint,
  readTorchCheckpoint,
} from '../src/index.js';
import type { StateDict, TorchCheckpointInfo, TorchDType } from '../src/index.js';

const HERE = new URL('./fixtures/', import.meta.url);
const REPO_FIXTURES = new URL('../../../test/fixtures/', import.meta.url);
const TINY_TAG = 'bagnet9_c3_s0_w0.03125_b1111';
const TINY_DIR = new URL(`checkpoints/${TINY_TAG}/`, REPO_FIXTURES);

function read(url: URL): Uint8Array {
  return new Uint8Array(readFileSync(url));
}

/** A float32 value as the shortest decimal that rounds back to it, or a special value. */
type ExpectedValue = number | 'NaN' | 'Infinity' | '-Infinity' | '-0';
interface ExpectedTensor {
  readonly shape: number[];
  readonly dtype: TorchDType;
  readonly values: ExpectedValue[];
}
const EXPECTED = JSON.parse(readFileSync(new URL('expected.json', HERE), 'utf8')) as Record<
  string,
  Record<string, ExpectedTensor>
>;

function sameValue(actual: number, expected: ExpectedValue): boolean {
  switch (expected) {
    case 'NaN':
      return Number.isNaN(actual);
    case 'Infinity':
      return actual === Infinity;
    case '-Infinity':
      return actual === -Infinity;
    case '-0':
      return Object.is(actual, -0);
    default:
      return Object.is(actual, Math.fround(expected));
  }
}

function assertMatchesExpected(sd: StateDict, expected: Record<string, ExpectedTensor>, file: string): void {
  const keys = Object.keys(expected).filter((k) => !k.endsWith('num_batches_tracked'));
  assert.deepEqual([...sd.keys()], keys, `${file}: keys`);
  for (const key of keys) {
    const want = expected[key]!;
    const got = sd.get(key)!;
    assert.deepEqual(got.shape, want.shape, `${file} ${key}: shape`);
    assert.equal(got.dtype, want.dtype, `${file} ${key}: dtype`);
    assert.ok(got.data instanceof Float32Array);
    assert.equal(got.data.length, want.values.length, `${file} ${key}: length`);
    want.values.forEach((v, i) => {
      assert.ok(sameValue(got.data[i]!, v), `${file} ${key}[${i}]: got ${got.data[i]}, expected ${v}`);
    });
  }
}

describe('readTorchCheckpoint: dtypes and views (exact values)', () => {
  const files: [string, string][] = [
    ['float16', 'float16_legacy.pth'],
    ['float16', 'float16_zip.pth'],
    ['float64', 'float64_legacy.pth'],
    ['float64', 'float64_zip.pth'],
    ['dtypes', 'dtypes_legacy.pth'],
    ['dtypes', 'dtypes_zip.pth'],
    ['views', 'views_legacy.pth'],
    ['views', 'views_zip.pth'],
    ['views', 'views_zip_p4.pth'],
    ['views', 'views_legacy_p5.pth'],
    ['module', 'module_legacy.pth'],
    ['module', 'module_zip.pth'],
    ['legacy_storage_views', 'legacy_storage_views.pth'],
  ];
  for (const [name, file] of files) {
    test(file, () => {
      const info = inspectTorchCheckpoint(read(new URL(file, HERE)), { fileName: file });
      assert.equal(info.format, file.includes('zip') ? 'zip' : 'legacy');
      assert.equal(info.hadNumBatchesTracked, name === 'module');
      assertMatchesExpected(info.stateDict, EXPECTED[name]!, file);
    });
  }

  test('tensors sharing a storage are independent copies', () => {
    const sd = readTorchCheckpoint(read(new URL('views_zip.pth', HERE)));
    const a = sd.get('shared_a')!;
    const b = sd.get('shared_b')!;
    assert.deepEqual([a.data.length, b.data.length], [10, 10]);
    assert.notEqual(a.data.buffer, b.data.buffer);
  });

  test('a Uint8Array view into a larger buffer reads the same', () => {
    const file = read(new URL('views_legacy.pth', HERE));
    const padded = new Uint8Array(file.length + 13);
    padded.set(file, 5);
    const sd = readTorchCheckpoint(padded.subarray(5, 5 + file.length));
    assertMatchesExpected(sd, EXPECTED['views']!, 'views_legacy.pth at byteOffset 5');
  });
});

describe('readTorchCheckpoint: zip variants', () => {
  const views = unzipSync(read(new URL('views_zip.pth', HERE)));

  test('deflate-compressed records (a re-zipped checkpoint)', () => {
    const sd = readTorchCheckpoint(zipSync(views, { level: 6 }));
    assertMatchesExpected(sd, EXPECTED['views']!, 'views_zip.pth re-zipped with deflate');
  });

  test('another archive folder name', () => {
    const renamed = Object.fromEntries(
      Object.entries(views).map(([name, data]) => [name.replace(/^views_zip\//, 'some/other-name/'), data]),
    );
    assertMatchesExpected(readTorchCheckpoint(zipSync(renamed)), EXPECTED['views']!, 'renamed archive');
  });

  test("byteorder 'big' (a checkpoint saved on a big-endian machine)", () => {
    const files = unzipSync(read(new URL('float16_zip.pth', HERE)));
    const big: Record<string, Uint8Array> = {};
    for (const [name, data] of Object.entries(files)) {
      if (/\/data\/\d+$/.test(name)) {
        const swapped = new Uint8Array(data.length);
        for (let i = 0; i < data.length; i += 2) [swapped[i], swapped[i + 1]] = [data[i + 1]!, data[i]!];
        big[name] = swapped;
      } else {
        big[name] = data;
      }
    }
    big['float16_zip/byteorder'] = Uint8Array.from('big', (c) => c.charCodeAt(0));
    assertMatchesExpected(readTorchCheckpoint(zipSync(big)), EXPECTED['float16']!, 'big-endian float16');
  });

  test('a missing storage record is named', () => {
    const partial = Object.fromEntries(Object.entries(views).filter(([name]) => !name.endsWith('/data/0')));
    assertFormatError(
      () => readTorchCheckpoint(zipSync(partial)),
      'missing record',
      /record 'views_zip\/data\/0' is missing/,
    );
  });

  test('a record that claims an impossible size is refused before allocating', () => {
    const zip = zipSync(views, { level: 0 });
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    // central directory headers: signature 0x02014b50, uncompressed size at +24
    for (let i = 0; i + 46 <= zip.length; i++) {
      if (view.getUint32(i, true) === 0x02014b50) view.setUint32(i + 24, 0x7ffffff0, true);
    }
    assertFormatError(() => readTorchCheckpoint(zip), 'bomb', /claims 2147483632 bytes from \d+ compressed bytes/);
  });

  test('a TorchScript archive is recognised', () => {
    const ts = zipSync({ 'm/data.pkl': Uint8Array.of(0x80, 2, 0x4e, 0x2e), 'm/constants.pkl': new Uint8Array(4) });
    assertFormatError(() => readTorchCheckpoint(ts, { fileName: 'm.pt' }), 'torchscript', /TorchScript archive/);
  });
});

// ---------------------------------------------------------------------------------------
// BagNet fixtures
// ---------------------------------------------------------------------------------------

interface Manifest {
  readonly config: { readonly q: number; readonly num_classes: number };
  readonly architecture: {
    readonly stem_width: number;
    readonly stage_widths: number[];
    readonly blocks: number[];
    readonly three_by_three_blocks_per_stage: number[];
    readonly n_state_dict_tensors: number;
  };
  readonly checkpoints: Record<
    string,
    {
      readonly wrapper: string;
      readonly module_prefix: boolean;
      readonly num_batches_tracked_included: boolean;
      readonly serialization: string;
      readonly location: string;
      readonly n_tensors: number;
    }
  >;
}

/** Keys and shapes of a BagNet state_dict, following the reference naming pattern. */
function bagnetShapes(m: Manifest): Map<string, number[]> {
  const a = m.architecture;
  const shapes = new Map<string, number[]>();
  const bn = (prefix: string, c: number): void => {
    for (const p of ['weight', 'bias', 'running_mean', 'running_var']) shapes.set(`${prefix}.${p}`, [c]);
  };
  shapes.set('conv1.weight', [a.stem_width, 3, 1, 1]);
  shapes.set('conv2.weight', [a.stem_width, a.stem_width, 3, 3]);
  bn('bn1', a.stem_width);
  let c = a.stem_width;
  a.stage_widths.forEach((w, s) => {
    for (let b = 0; b < a.blocks[s]!; b++) {
      const p = `layer${s + 1}.${b}`;
      const k = b < a.three_by_three_blocks_per_stage[s]! ? 3 : 1;
      shapes.set(`${p}.conv1.weight`, [w, c, 1, 1]);
      bn(`${p}.bn1`, w);
      shapes.set(`${p}.conv2.weight`, [w, w, k, k]);
      bn(`${p}.bn2`, w);
      shapes.set(`${p}.conv3.weight`, [4 * w, w, 1, 1]);
      bn(`${p}.bn3`, 4 * w);
      if (b === 0) {
        shapes.set(`${p}.downsample.0.weight`, [4 * w, c, 1, 1]);
        bn(`${p}.downsample.1`, 4 * w);
      }
      c = 4 * w;
    }
  });
  shapes.set('fc.weight', [m.config.num_classes, c]);
  shapes.set('fc.bias', [m.config.num_classes]);
  return shapes;
}

function assertBagNetStateDict(sd: StateDict, m: Manifest, file: string): void {
  const shapes = bagnetShapes(m);
  const batchNorms = [...shapes.keys()].filter((k) => k.endsWith('.running_var')).length;
  assert.equal(sd.size, m.architecture.n_state_dict_tensors - batchNorms, `${file}: tensor count`);
  assert.deepEqual([...sd.keys()].sort(), [...shapes.keys()].sort(), `${file}: keys`);
  for (const [key, shape] of shapes) {
    const t = sd.get(key)!;
    assert.deepEqual(t.shape, shape, `${file} ${key}: shape`);
    assert.equal(t.dtype, 'float32');
    assert.equal(
      t.data.length,
      shape.reduce((x, y) => x * y, 1),
    );
  }
  for (const key of ['conv1.weight', 'layer1.0.conv2.weight', 'fc.bias']) assert.ok(sd.has(key), key);
}

function assertSameStateDict(actual: StateDict, expected: StateDict, file: string): void {
  assert.deepEqual([...actual.keys()], [...expected.keys()], `${file}: keys in order`);
  for (const [key, want] of expected) {
    const got = actual.get(key)!;
    assert.deepEqual(got.shape, want.shape, `${file} ${key}`);
    assert.equal(got.dtype, want.dtype, `${file} ${key}`);
    const g = new Uint32Array(got.data.buffer, got.data.byteOffset, got.data.length);
    const w = new Uint32Array(want.data.buffer, want.data.byteOffset, want.data.length);
    assert.deepEqual(g, w, `${file} ${key}: bit-exact values`);
  }
}

describe('readTorchCheckpoint: tiny BagNet-9 in every checkpoint layout', () => {
  const manifest = JSON.parse(readFileSync(new URL('manifest.json', TINY_DIR), 'utf8')) as Manifest;
  const plainName = `${TINY_TAG}.pth.tar`;
  const plain = readTorchCheckpoint(read(new URL(plainName, TINY_DIR)), { fileName: plainName });

  test('the plain checkpoint matches torch (checksums) and the architecture', () => {
    const sums = JSON.parse(readFileSync(new URL('tiny_bagnet9_checksums.json', HERE), 'utf8')) as {
      tensors: Record<
        string,
        { shape: number[]; dtype: string; sum: number; weighted_sum: number; first: number[]; last: number }
      >;
    };
    assertBagNetStateDict(plain, manifest, plainName);
    for (const [key, s] of Object.entries(sums.tensors)) {
      if (key.endsWith('num_batches_tracked')) continue;
      const t = plain.get(key)!;
      assert.deepEqual(t.shape, s.shape, key);
      let sum = 0;
      let weighted = 0;
      t.data.forEach((v, i) => {
        sum += v;
        weighted += v * (i + 1);
      });
      // Only the summation order differs from Python's math.fsum.
      const tol = (x: number): number => 1e-9 * (1 + Math.abs(x)) * t.data.length;
      assert.ok(Math.abs(sum - s.sum) <= tol(s.sum), `${key}: sum ${sum} vs ${s.sum}`);
      assert.ok(Math.abs(weighted - s.weighted_sum) <= tol(s.weighted_sum) * t.data.length, `${key}: weighted sum`);
      assert.deepEqual([...t.data.subarray(0, 3)], s.first.map(Math.fround), `${key}: first values`);
      assert.equal(t.data[t.data.length - 1], Math.fround(s.last), `${key}: last value`);
    }
  });

  const variants = Object.keys(manifest.checkpoints);
  test('all eight layouts are present', () => {
    assert.equal(variants.length, 8);
  });
  for (const name of variants) {
    test(name, () => {
      const d = manifest.checkpoints[name]!;
      const info: TorchCheckpointInfo = inspectTorchCheckpoint(read(new URL(name, TINY_DIR)), { fileName: name });
      assert.equal(info.format, d.serialization.startsWith('zip') ? 'zip' : 'legacy');
      assert.equal(info.wrapperKey, d.wrapper.startsWith('none') ? null : 'state_dict');
      assert.equal(info.modulePrefix, d.module_prefix);
      assert.equal(info.hadNumBatchesTracked, d.num_batches_tracked_included);
      assert.deepEqual(info.locations, [d.location.startsWith('cuda') ? 'cuda:0' : 'cpu']);
      assertSameStateDict(info.stateDict, plain, name);
    });
  }
});

describe('readTorchCheckpoint: small BagNet parity fixtures', () => {
  const dirs = existsSync(REPO_FIXTURES)
    ? readdirSync(REPO_FIXTURES).filter((d) => /^bagnet(9|17|33)_c10_s0_w0\.125_b1111$/.test(d))
    : [];
  test('fixtures exist', { skip: dirs.length === 0 && 'run npm run fixtures' }, () => {
    assert.equal(dirs.length, 3);
  });
  for (const dir of dirs) {
    test(dir, () => {
      const base = new URL(`${dir}/`, REPO_FIXTURES);
      const manifest = JSON.parse(readFileSync(new URL('manifest.json', base), 'utf8')) as Manifest;
      for (const name of Object.keys(manifest.checkpoints)) {
        const sd = readTorchCheckpoint(read(new URL(name, base)), { fileName: name });
        assertBagNetStateDict(sd, manifest, name);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------
// Damaged and foreign files
// ---------------------------------------------------------------------------------------

/** Deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function assertFormatError(fn: () => unknown, what: string, pattern?: RegExp): void {
  assert.throws(
    fn,
    (e: unknown) => {
      if (!(e instanceof CheckpointFormatError)) {
        assert.fail(`${what}: expected CheckpointFormatError, got ${String(e)}`);
      }
      if (pattern !== undefined && !pattern.test(e.message)) {
        assert.fail(`${what}: message ${JSON.stringify(e.message)} does not match ${pattern}`);
      }
      return true;
    },
    what,
  );
}

describe('readTorchCheckpoint: damaged and foreign files', () => {
  test('an empty file', () => {
    assertFormatError(
      () => readTorchCheckpoint(new Uint8Array(0), { fileName: 'empty.pth' }),
      'empty',
      /'empty\.pth' is empty/,
    );
  });

  for (const name of [`${TINY_TAG}.pth.tar`, `${TINY_TAG}_zip.pth.tar`]) {
    test(`${name} truncated at every 53rd byte and at the last bytes`, () => {
      const full = read(new URL(name, TINY_DIR));
      const cuts = new Set<number>([1, 2, 3, 10, 15, 21, 137, full.length - 8, full.length - 2, full.length - 1]);
      for (let cut = 0; cut < full.length; cut += 53) cuts.add(cut);
      for (const cut of cuts) {
        assertFormatError(
          () => readTorchCheckpoint(full.subarray(0, cut), { fileName: name }),
          `${name} cut at ${cut}`,
        );
      }
    });
  }

  test('truncation inside the storage records names the storage and offset', () => {
    const full = read(new URL(`${TINY_TAG}.pth.tar`, TINY_DIR));
    assert.throws(
      () => readTorchCheckpoint(full.subarray(0, full.length - 3)),
      (e: unknown) =>
        e instanceof CheckpointFormatError &&
        /is truncated: storage '\d+' at byte \d+ needs \d+ bytes but only \d+ remain/.test(e.message) &&
        typeof e.offset === 'number' &&
        /^storage '\d+'$/.test(e.record ?? ''),
    );
  });

  test('random bytes', () => {
    const next = random(1);
    for (let i = 0; i < 300; i++) {
      const data = Uint8Array.from({ length: 1 + Math.floor(next() * 2000) }, () => Math.floor(next() * 256));
      if (data[0] === 0x80 || data[0] === 0x50) data[0] = 0x00;
      assertFormatError(() => readTorchCheckpoint(data), `random buffer ${i}`, /is not a PyTorch checkpoint/);
    }
  });

  test('random bytes behind a pickle or zip signature never escape as RangeError/TypeError', () => {
    const next = random(2);
    const prefixes = [
      [0x80],
      [0x80, 0x02],
      [0x80, 0x02, 0x8a, 0x0a],
      [0x50, 0x4b],
      [0x50, 0x4b, 0x03, 0x04],
      [0x50, 0x4b, 0x05, 0x06],
    ];
    for (let i = 0; i < 600; i++) {
      const prefix = prefixes[i % prefixes.length]!;
      const data = Uint8Array.from({ length: prefix.length + Math.floor(next() * 400) }, () =>
        Math.floor(next() * 256),
      );
      data.set(prefix);
      assert.throws(
        () => readTorchCheckpoint(data),
        (e: unknown) => e instanceof BagNetConvertError,
        `buffer ${i}`,
      );
    }
  });

  test('flipped bytes in real checkpoints are read or refused, never crash', () => {
    const next = random(3);
    for (const name of [`${TINY_TAG}.pth.tar`, `${TINY_TAG}_zip.pth.tar`]) {
      const full = read(new URL(name, TINY_DIR));
      for (let i = 0; i < 150; i++) {
        const data = full.slice();
        // most damage in the pickles at the start, where the structure is
        const at = Math.floor(next() * Math.min(full.length, i % 2 === 0 ? 12000 : full.length));
        data[at] = Math.floor(next() * 256);
        try {
          readTorchCheckpoint(data);
        } catch (e) {
          assert.ok(e instanceof BagNetConvertError, `${name} byte ${at}: ${String(e)}`);
        }
      }
    }
  });

  test('foreign formats get a message that says what the file is', () => {
    const npy = read(new URL('logits_f32.npy', TINY_DIR));
    assertFormatError(() => readTorchCheckpoint(npy), 'npy', /NumPy \.npy file/);
    assertFormatError(() => readTorchCheckpoint(Uint8Array.of(0x1f, 0x8b, 8, 0)), 'gzip', /gzip-compressed/);
    assertFormatError(
      () => readTorchCheckpoint(Uint8Array.of(0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0)),
      'hdf5',
      /HDF5 file \(a Keras \.h5 model\?\).*convert the PyTorch checkpoint/,
    );
    assertFormatError(() => readTorchCheckpoint(Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 0x10)), 'jpeg', /JPEG image/);
    assertFormatError(
      () => readTorchCheckpoint(new TextEncoder().encode('hello')),
      'text',
      /starts with bytes 68 65 6c 6c 6f/,
    );
    assertFormatError(
      () => readTorchCheckpoint(read(new URL('input.png', TINY_DIR))),
      'png',
      /is not a PyTorch checkpoint: it is a PNG image/,
    );
    // a plain pickle that torch.save did not write
    assertFormatError(() => readTorchCheckpoint(Uint8Array.of(0x80, 2, 0x4b, 1, 0x2e)), 'pickle', /no magic number/);
    // a zip without data.pkl: the empty archive
    assertFormatError(
      () => readTorchCheckpoint(Uint8Array.from([0x50, 0x4b, 5, 6, ...new Array<number>(18).fill(0)])),
      'empty zip',
      /no data\.pkl record/,
    );
  });

  test('a state_dict entry that is not a tensor is named', () => {
    // torch-less legacy file: magic, protocol, sys_info, {'w': 1}, []
    const magic = [0x80, 2, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];
    const protocol = [0x80, 2, 0x4d, 0xe9, 0x03, 0x2e];
    const sysInfo = [0x80, 2, 0x7d, 0x2e];
    const main = [0x80, 2, 0x7d, 0x58, 1, 0, 0, 0, 0x77, 0x4b, 1, 0x73, 0x2e];
    const keys = [0x80, 2, 0x5d, 0x2e];
    const data = Uint8Array.from([...magic, ...protocol, ...sysInfo, ...main, ...keys]);
    assertFormatError(() => readTorchCheckpoint(data), 'int entry', /state_dict entry 'w' is 1, not a tensor/);
  });
});

describe('readTorchCheckpoint: views and the memory budget', () => {
  const w = (values: number[]) => float32Bytes(values);
  const sixteen = Array.from({ length: 16 }, (_, i) => i);
  const zipOf = (entries: TensorEntry[], records: Record<string, Uint8Array>) =>
    torchZip(stateDictPickle(entries), records);

  test('the same view under two keys is read once and shared', () => {
    const sd = readTorchCheckpoint(
      zipOf(
        [
          { key: 'a', storage: '0', numel: 16, shape: [4, 4], stride: [4, 1] },
          { key: 'b', storage: '0', numel: 16, shape: [4, 4], stride: [4, 1] },
        ],
        { '0': w(sixteen) },
      ),
    );
    assert.equal(sd.get('a')!.data, sd.get('b')!.data);
    assert.deepEqual([...sd.get('b')!.data], sixteen);
  });

  test('overlapping views of one storage are refused, adjacent ones read', () => {
    const adjacent = readTorchCheckpoint(
      zipOf(
        [
          { key: 'a', storage: '0', numel: 16, shape: [8], stride: [1] },
          { key: 'b', storage: '0', numel: 16, shape: [8], stride: [1], offset: 8 },
        ],
        { '0': w(sixteen) },
      ),
    );
    assert.deepEqual([...adjacent.get('b')!.data], sixteen.slice(8));
    assertFormatError(
      () =>
        readTorchCheckpoint(
          zipOf(
            [
              { key: 'a', storage: '0', numel: 16, shape: [8], stride: [1] },
              { key: 'b', storage: '0', numel: 16, shape: [8], stride: [1], offset: 7 },
            ],
            { '0': w(sixteen) },
          ),
        ),
      'overlap',
      /tensor 'b' .* overlaps tensor 'a' .* in storage '0' \(elements 7\.\.14 and 0\.\.7\)/,
    );
  });

  test('broadcast (stride 0) and self-overlapping views are refused', () => {
    assertFormatError(
      () =>
        readTorchCheckpoint(
          zipOf([{ key: 'x', storage: '0', numel: 16, shape: [4, 4], stride: [1, 0] }], { '0': w(sixteen) }),
        ),
      'stride 0',
      /tensor 'x' \(shape \[4, 4\], strides \[1, 0\].* is a broadcast view \(stride 0\)/,
    );
    assertFormatError(
      () =>
        readTorchCheckpoint(
          zipOf([{ key: 'x', storage: '0', numel: 16, shape: [4, 4], stride: [2, 1] }], { '0': w(sixteen) }),
        ),
      'self-overlap',
      /tensor 'x' .* is a self-overlapping view/,
    );
    // A dimension of size 1 may have any stride (torch writes such strides).
    const sd = readTorchCheckpoint(
      zipOf([{ key: 'x', storage: '0', numel: 16, shape: [1, 16], stride: [0, 1] }], { '0': w(sixteen) }),
    );
    assert.deepEqual([...sd.get('x')!.data], sixteen);
  });

  test('maxBytes: over the budget is a CheckpointBudgetError before allocating, within it reads', () => {
    const bytes = zipOf([{ key: 'x', storage: '0', numel: 16, shape: [16], stride: [1] }], { '0': w(sixteen) });
    assert.throws(
      () => readTorchCheckpoint(bytes, { maxBytes: 63 }),
      (e: unknown) =>
        e instanceof CheckpointBudgetError &&
        e instanceof CheckpointFormatError &&
        e instanceof BagNetError &&
        e.limit === 63 &&
        e.requested === 64 &&
        /needs 64 bytes, but only 63 of the reader's 63-byte budget \(option maxBytes\) remain/.test(e.message),
    );
    assert.equal(readTorchCheckpoint(bytes, { maxBytes: 64 }).get('x')!.data.length, 16);
  });

  test('only referenced zip records are inflated: an unreferenced corrupt record is never read', () => {
    const files = unzipSync(
      zipOf([{ key: 'x', storage: '0', numel: 4, shape: [4], stride: [1] }], { '0': w([1, 2, 3, 4]) }),
    );
    files['archive/data/junk'] = new Uint8Array(4096).fill(7);
    const zip = zipSync(files, { level: 6 });
    // Corrupt the deflate data of the junk record: reading it would fail.
    const at = Buffer.from(zip).indexOf('archive/data/junk') + 'archive/data/junk'.length;
    zip.fill(0xff, at, at + 8);
    assert.deepEqual([...readTorchCheckpoint(zip).get('x')!.data], [1, 2, 3, 4]);
  });

  test('a record whose size differs from its declared storage is refused', () => {
    assertFormatError(
      () =>
        readTorchCheckpoint(
          zipOf([{ key: 'x', storage: '0', numel: 5, shape: [4], stride: [1] }], { '0': w([1, 2, 3, 4]) }),
        ),
      'record size',
      /record 'archive\/data\/0' holds 16 bytes but the pickle declares storage '0' as 5 x float32 \(20 bytes\)/,
    );
  });
});
