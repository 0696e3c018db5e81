/**
 * convertCheckpoint(): bytes → BagNet with metadata and provenance; labels; refusals.
 *
 * Fixtures: the tiny BagNet-9 in every checkpoint layout (test/fixtures/checkpoints/, from
 * shared/reference/make_fixture.py, sha256 in its manifest.json) and the checkpoints of
 * make-convert-fixtures.py (ResNet-50-like, wrong shape, missing key, 1000 classes in float16).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';

import { BagNetAbortError, useBackend } from '@bagnet-vis/core';

import { noLeaks } from '../../../test/helpers/leaks.js';
import {
  CheckpointArchitectureError,
  CheckpointFormatError,
  CONVERTER,
  ConvertOptionsError,
  convertCheckpoint,
  IMAGENET_LABELS,
  parseLabels,
  UnsafePickleError,
} from '../src/index.js';
import type { ConvertProgress } from '../src/index.js';

const HERE = new URL('./fixtures/', import.meta.url);
const TINY_TAG = 'bagnet9_c3_s0_w0.03125_b1111';
const TINY_DIR = new URL(`../../../test/fixtures/checkpoints/${TINY_TAG}/`, import.meta.url);
const MANIFEST = JSON.parse(readFileSync(new URL('manifest.json', TINY_DIR), 'utf8')) as {
  checkpoints: Record<string, { sha256: string }>;
};

const read = (url: URL) => new Uint8Array(readFileSync(url));

before(async () => {
  await useBackend('cpu');
});

describe('convertCheckpoint', () => {
  test('every layout of the tiny BagNet-9: architecture, provenance with the file SHA-256', async () => {
    for (const [file, { sha256 }] of Object.entries(MANIFEST.checkpoints)) {
      await noLeaks(async () => {
        const progress: ConvertProgress[] = [];
        const net = await convertCheckpoint(read(new URL(file, TINY_DIR)), {
          fileName: file,
          date: new Date('2024-01-02T03:04:05Z'),
          onProgress: (p) => progress.push(p),
        });
        try {
          assert.equal(net.receptiveField, 9);
          assert.equal(net.numClasses, 3);
          assert.deepEqual(net.labels, ['class 0', 'class 1', 'class 2']);
          assert.deepEqual(net.metadata.inputSize, [224, 224]);
          assert.deepEqual(net.metadata.normalization.mean, [0.485, 0.456, 0.406]);
          const p = net.metadata.provenance;
          assert.equal(p.source, file);
          assert.equal(p.sha256, sha256, `${file}: sha256`);
          assert.equal(p.convertedBy, CONVERTER);
          assert.equal(p.date, '2024-01-02T03:04:05.000Z');
          assert.match(p.notes ?? '', file.includes('zip') ? /zip \(torch ≥ 1\.6\)/ : /legacy/);
          if (file.includes('wrapped')) assert.match(p.notes ?? '', /state_dict under 'state_dict'/);
          if (file.includes('module')) assert.match(p.notes ?? '', /'module\.' prefix stripped/);
          if (file.includes('cuda')) assert.match(p.notes ?? '', /cuda:0 storages read on the CPU/);
          assert.deepEqual(
            progress.map((x) => x.stage),
            ['hash', 'read', 'architecture', 'build'],
          );
          assert.match(progress[2]!.message, /^BagNet-9 \(stride 8\): 3 classes/);
        } finally {
          net.dispose();
        }
      });
    }
  });

  test('options: labels, input size, normalisation, stage strides, notes', async () => {
    const bytes = read(new URL(`${TINY_TAG}.pth.tar`, TINY_DIR));
    await noLeaks(async () => {
      const net = await convertCheckpoint(bytes, {
        labels: ['a', 'b', 'c'],
        inputSize: [28, 30],
        normalization: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], channelOrder: 'RGB' },
        stageStrides: [1, 2, 2, 1],
        notes: 'trained here',
      });
      try {
        assert.deepEqual(net.labels, ['a', 'b', 'c']);
        assert.deepEqual(net.metadata.inputSize, [28, 30]);
        assert.deepEqual(net.metadata.normalization.std, [0.25, 0.25, 0.25]);
        assert.deepEqual(net.metadata.architecture.stageStrides, [1, 2, 2, 1]);
        assert.equal(net.stride, 4);
        // stage 1 keeps the resolution, so the 3×3 conv of stage 2 adds 2 px instead of 4: q = 3 + 2 + 2
        assert.equal(net.receptiveField, 7);
        assert.equal(net.metadata.provenance.source, 'checkpoint');
        assert.equal(net.metadata.provenance.notes, 'trained here');
      } finally {
        net.dispose();
      }
    });
  });

  test('bad options are refused before anything is built', async () => {
    const bytes = read(new URL(`${TINY_TAG}.pth.tar`, TINY_DIR));
    const cases: [string, Parameters<typeof convertCheckpoint>[1], RegExp][] = [
      ['label count', { labels: ['a', 'b'] }, /2 labels were given, but the checkpoint has 3 classes/],
      ['empty label', { labels: ['a', ' ', 'c'] }, /label of class 1 is empty/],
      ['input size below q', { inputSize: [8, 224] }, /Input size \[8, 224\] is invalid for a BagNet-9/],
      [
        'std 0',
        { normalization: { mean: [0, 0, 0], std: [1, 0, 1], channelOrder: 'RGB' } },
        /three positive standard deviations/,
      ],
    ];
    for (const [name, options, message] of cases) {
      await noLeaks(() =>
        assert.rejects(
          convertCheckpoint(bytes, options),
          (e: unknown) => e instanceof ConvertOptionsError && message.test(e.message),
          name,
        ),
      );
    }
  });

  test('a 1000-class checkpoint gets the ImageNet labels (float16 storages read as float32)', async () => {
    await noLeaks(async () => {
      const net = await convertCheckpoint(read(new URL('bagnet9_c1000_f16.pth', HERE)));
      try {
        assert.equal(net.numClasses, 1000);
        assert.deepEqual(net.labels, IMAGENET_LABELS);
        assert.equal(net.labels[281], 'tabby');
      } finally {
        net.dispose();
      }
    });
  });

  test('checkpoints that are not BagNets name what is wrong', async () => {
    const cases: [string, RegExp][] = [
      ['resnet50_like.pth', /this is a ResNet checkpoint \(conv1\.weight is a 7×7 conv \[2, 3, 7, 7\]\)/],
      [
        'bagnet9_wrong_shape.pth',
        /State_dict key layer1\.0\.bn2\.running_var has shape \[3\], expected \[2\] for this BagNet/,
      ],
      [
        'bagnet9_missing_key.pth',
        /missing keys: layer3\.0\.downsample\.1\.running_mean; unexpected keys: head\.extra\.weight/,
      ],
    ];
    for (const [file, message] of cases) {
      await noLeaks(() =>
        assert.rejects(
          convertCheckpoint(read(new URL(file, HERE)), { fileName: file }),
          (e: unknown) => e instanceof CheckpointArchitectureError && message.test(e.message),
          file,
        ),
      );
    }
  });

  test('foreign, truncated and malicious files are refused', async () => {
    const full = read(new URL(`${TINY_TAG}.pth.tar`, TINY_DIR));
    await assert.rejects(convertCheckpoint(full.subarray(0, 20000), { fileName: 'half.pth' }), (e: unknown) => {
      return e instanceof CheckpointFormatError && /'half\.pth' is truncated/.test(e.message);
    });
    await assert.rejects(
      convertCheckpoint(read(new URL('input.png', TINY_DIR))),
      (e: unknown) => e instanceof CheckpointFormatError && /is a PNG image/.test(e.message),
    );
    for (const file of ['evil_checkpoint_legacy.pth', 'evil_checkpoint_zip.pth']) {
      await assert.rejects(
        convertCheckpoint(read(new URL(file, HERE))),
        (e: unknown) => e instanceof UnsafePickleError && e.global === 'posix.system',
      );
    }
  });

  test('an aborted signal stops the conversion', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      convertCheckpoint(read(new URL(`${TINY_TAG}.pth.tar`, TINY_DIR)), { signal: controller.signal }),
      BagNetAbortError,
    );
  });
});

describe('IMAGENET_LABELS', () => {
  test('1000 labels in the standard class-index order', () => {
    assert.equal(IMAGENET_LABELS.length, 1000);
    const known: [number, string][] = [
      [0, 'tench'],
      [1, 'goldfish'],
      [151, 'Chihuahua'],
      [207, 'golden retriever'],
      [281, 'tabby'],
      [285, 'Egyptian cat'],
      [340, 'zebra'],
      [409, 'analog clock'],
      [417, 'balloon'],
      [508, 'computer keyboard'],
      [607, "jack-o'-lantern"],
      [817, 'sports car'],
      [948, 'Granny Smith'],
      [954, 'banana'],
      [999, 'toilet tissue'],
    ];
    for (const [i, label] of known) assert.equal(IMAGENET_LABELS[i], label, `class ${i}`);
    assert.ok(IMAGENET_LABELS.every((l) => l.length > 0 && l.trim() === l && !l.includes('_')));
    assert.ok(Object.isFrozen(IMAGENET_LABELS));
  });
});

describe('parseLabels', () => {
  test('JSON array, Keras class index, index object and plain text', () => {
    assert.deepEqual(parseLabels('["a", " b "]'), ['a', 'b']);
    assert.deepEqual(parseLabels('{"1": ["n02", "golden_retriever"], "0": ["n01", "tench"]}'), [
      'tench',
      'golden retriever',
    ]);
    assert.deepEqual(parseLabels('{"0": "x", "1": "y"}'), ['x', 'y']);
    assert.deepEqual(parseLabels('\uFEFFT-shirt/top\r\nTrouser\n\n'), ['T-shirt/top', 'Trouser']);
  });

  test('malformed label files say what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['', /is empty/],
      ['[1, 2]', /entry 0 is 1, expected a string label/],
      ['{"0": "a", "2": "b"}', /key "2" is not a class index 0…1/],
      ['{"0": "a", "00": "b"}', /key "00" is not a class index/],
      ['{"0": {"name": "a"}}', /class 0 is \{"name":"a"\}/],
      ['[oops', /starts like JSON but does not parse/],
      ['a\n\nb', /label of class 1 is empty/],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parseLabels(text, 'labels.txt'),
        (e: unknown) => e instanceof ConvertOptionsError && message.test(e.message) && e.message.includes('labels.txt'),
        JSON.stringify(text),
      );
    }
  });
});
