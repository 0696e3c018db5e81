/**
 * Image decoding (pngjs, jpeg-js) and resizing (tf.image.resizeBilinear with half-pixel centres,
 * box prefilter when shrinking) of `bagnet explain`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { before, describe, test } from 'node:test';

import * as tf from '@tensorflow/tfjs-core';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

import { useBackend } from '@bagnet-vis/core';

import { noLeaks } from '../../../test/helpers/leaks.js';
import { CliError } from '../src/errors.js';
import { decodeImage, decodeImageFile } from '../src/image/decode.js';
import { pixelTensor, resizePixels, shortSideSize } from '../src/image/resize.js';

before(async () => {
  await useBackend('cpu');
});

function png(width: number, height: number, options: ConstructorParameters<typeof PNG>[0], rgba: number[]) {
  const img = new PNG({ width, height, ...options });
  for (let i = 0; i < width * height; i++) img.data.set(rgba, i * 4);
  return new Uint8Array(PNG.sync.write(img, options));
}

describe('decodeImage', () => {
  test('PNG: colour, grey, with alpha, 16-bit → 8-bit RGBA', () => {
    const rgb = decodeImage(png(3, 2, { colorType: 2 }, [10, 20, 30, 255]), 'a.png');
    assert.deepEqual([rgb.format, rgb.width, rgb.height], ['PNG', 3, 2]);
    assert.deepEqual([...rgb.data.subarray(0, 4)], [10, 20, 30, 255]);
    const grey = decodeImage(png(2, 2, { colorType: 0, inputColorType: 6 }, [77, 77, 77, 255]), 'g.png');
    assert.deepEqual([...grey.data.subarray(0, 4)], [77, 77, 77, 255]);
    const alpha = decodeImage(png(1, 1, { colorType: 6 }, [1, 2, 3, 4]), 'a.png');
    assert.deepEqual([...alpha.data], [1, 2, 3, 4]);
    const img16 = new PNG({ width: 2, height: 1, bitDepth: 16, colorType: 2, inputColorType: 6 });
    img16.data = Uint16Array.of(200 * 257, 100 * 257, 50 * 257, 65535, 0, 0, 0, 65535) as unknown as Buffer;
    const deep = decodeImage(
      new Uint8Array(PNG.sync.write(img16, { bitDepth: 16, colorType: 2, inputColorType: 6 })),
      'd.png',
    );
    assert.deepEqual([...deep.data], [200, 100, 50, 255, 0, 0, 0, 255]);
  });

  test('JPEG', () => {
    const data = new Uint8Array(16 * 8 * 4).fill(90);
    const img = decodeImage(jpeg.encode({ data, width: 16, height: 8 }, 95).data, 'x.jpg');
    assert.deepEqual([img.format, img.width, img.height], ['JPEG', 16, 8]);
    assert.ok(Math.abs(img.data[0]! - 90) <= 2);
  });

  test('JPEG EXIF orientation is applied (a phone photo comes out upright)', () => {
    // 16×8: left half red, right half blue
    const data = new Uint8Array(16 * 8 * 4);
    for (let i = 0; i < 16 * 8; i++) data.set(i % 16 < 8 ? [255, 0, 0, 255] : [0, 0, 255, 255], i * 4);
    const plain = new Uint8Array(jpeg.encode({ data, width: 16, height: 8 }, 100).data);
    const withOrientation = (o: number) => {
      // APP1 'Exif\0\0' + little-endian TIFF with one IFD entry: 0x0112 SHORT 1 = o
      const tiff = [0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, o, 0, 0, 0, 0, 0, 0, 0];
      const app1 = [0xff, 0xe1, 0, 2 + 6 + tiff.length, ...[...'Exif'].map((c) => c.charCodeAt(0)), 0, 0, ...tiff];
      return Uint8Array.from([...plain.subarray(0, 2), ...app1, ...plain.subarray(2)]);
    };
    const red = (img: { data: Uint8Array; width: number }, x: number, y: number) =>
      img.data[(y * img.width + x) * 4]! > 200 && img.data[(y * img.width + x) * 4 + 2]! < 60;
    const upright = decodeImage(withOrientation(1), 'o1.jpg');
    assert.deepEqual([upright.width, upright.height, red(upright, 0, 0), red(upright, 15, 0)], [16, 8, true, false]);
    // 6: rotate 90° clockwise → 8×16, the left (red) half on top
    const cw = decodeImage(withOrientation(6), 'o6.jpg');
    assert.deepEqual([cw.width, cw.height, red(cw, 0, 0), red(cw, 7, 7), red(cw, 0, 15)], [8, 16, true, true, false]);
    // 8: rotate 90° counter-clockwise → the right (blue) half on top
    const ccw = decodeImage(withOrientation(8), 'o8.jpg');
    assert.deepEqual([ccw.width, ccw.height, red(ccw, 0, 0), red(ccw, 0, 15)], [8, 16, false, true]);
    // 3: rotate 180° → blue on the left
    const flip = decodeImage(withOrientation(3), 'o3.jpg');
    assert.deepEqual([flip.width, red(flip, 0, 0), red(flip, 15, 7)], [16, false, true]);
  });

  test('other formats and damaged files are CliErrors that name the file', () => {
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(0), /'f': it is not a PNG, JPEG or WebP file \(format: unknown \(starts with bytes nothing/],
      [new TextEncoder().encode('GIF89a......'), /format: a GIF image/],
      [new TextEncoder().encode('RIFF....WEBPVP8 '), /Cannot decode WebP 'f' here: use decodeImageFile\(\)/],
      [png(4, 4, { colorType: 2 }, [1, 2, 3, 255]).subarray(0, 40), /Cannot decode PNG 'f': .*damaged or truncated/],
      [Uint8Array.of(0xff, 0xd8, 0xff, 0xda, 0, 0), /ends before its end marker/],
    ];
    for (const [bytes, message] of cases) {
      assert.throws(
        () => decodeImage(bytes, 'f'),
        (e: unknown) => e instanceof CliError && message.test(e.message),
      );
    }
  });
});

describe('resizing', () => {
  test('shortSideSize keeps the aspect ratio', () => {
    assert.deepEqual(shortSideSize(375, 500, 224), [224, 299]);
    assert.deepEqual(shortSideSize(500, 375, 224), [299, 224]);
    assert.deepEqual(shortSideSize(24, 24, 224), [224, 224]);
    assert.deepEqual(shortSideSize(1000, 3, 1), [333, 1]);
  });

  test('resizePixels: identity, constant images stay constant, 8-bit integer output', async () => {
    await noLeaks(async () => {
      const data = new Uint8Array(40 * 30 * 4);
      for (let i = 0; i < 40 * 30; i++) data.set([i % 256, 100, 200, 255], i * 4);
      const pixels = pixelTensor({ data, width: 40, height: 30, format: 'PNG' });
      const same = resizePixels(pixels, [30, 40]);
      assert.deepEqual(await same.data(), await pixels.data());
      const flat = tf.fill([30, 40, 3], 123, 'int32') as tf.Tensor3D;
      for (const size of [
        [9, 12],
        [7, 5],
        [90, 120],
      ] as [number, number][]) {
        const r = resizePixels(flat, size);
        assert.equal(r.dtype, 'int32');
        assert.deepEqual(r.shape, [...size, 3]);
        assert.ok((await r.data()).every((v) => v === 123));
        r.dispose();
      }
      tf.dispose([pixels, same, flat]);
    });
  });

  test('shrinking averages blocks (antialiasing): a 1-px checkerboard becomes flat grey', async () => {
    await noLeaks(async () => {
      const board = tf.tidy(() => {
        const y = tf.reshape(tf.range(0, 64), [64, 1]);
        const x = tf.reshape(tf.range(0, 64), [1, 64]);
        const v = tf.mul(tf.mod(tf.add(y, x), 2), 255);
        return tf.cast(tf.stack([v, v, v], 2), 'int32') as tf.Tensor3D;
      });
      const small = resizePixels(board, [16, 16]);
      const values = await small.data();
      assert.ok(
        values.every((v) => Math.abs(v - 128) <= 1),
        `${Math.min(...values)}..${Math.max(...values)}`,
      );
      tf.dispose([board, small]);
    });
  });
});

describe('WebP decoding (libwebp through @jsquash/webp)', () => {
  /** A WebP of `rgba` made with libwebp's own encoder (the same package). */
  async function encodeWebP(rgba: Uint8ClampedArray<ArrayBuffer>, width: number, height: number, lossless: boolean) {
    const { default: encode, init } = await import('@jsquash/webp/encode.js');
    const wasm = createRequire(import.meta.url).resolve('@jsquash/webp/codec/enc/webp_enc.wasm');
    await init(await WebAssembly.compile(readFileSync(wasm)));
    return new Uint8Array(
      await encode({ data: rgba, width, height, colorSpace: 'srgb' }, lossless ? { lossless: 1 } : { quality: 90 }),
    );
  }

  test('lossless WebP decodes to the exact pixels; lossy close to them; damage is one named error', async () => {
    const width = 37;
    const height = 23;
    const rgba = new Uint8ClampedArray(width * height * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 37) % 251));
    const lossless = await decodeImageFile(await encodeWebP(rgba, width, height, true), 'a.webp');
    assert.equal(lossless.format, 'WebP');
    assert.deepEqual([lossless.width, lossless.height], [width, height]);
    assert.deepEqual([...lossless.data], [...rgba]);

    const smooth = new Uint8ClampedArray(width * height * 4).map((_, i) =>
      i % 4 === 3 ? 255 : ((i >> 2) % width) * 6,
    );
    const lossy = await decodeImageFile(await encodeWebP(smooth, width, height, false), 'b.webp');
    const err = lossy.data.reduce((m, v, i) => Math.max(m, Math.abs(v - smooth[i]!)), 0);
    assert.ok(err > 0 && err < 40, `lossy max error ${err}`);

    const damaged = (await encodeWebP(rgba, width, height, true)).slice(0, 40);
    await assert.rejects(decodeImageFile(damaged, 'cut.webp'), (e: unknown) => {
      assert.ok(e instanceof CliError);
      assert.match(e.message, /^Cannot decode WebP 'cut\.webp': .*damaged, truncated or animated\.$/);
      return true;
    });
    // PNG still goes through the same entry point.
    const png = new PNG({ width: 2, height: 1 });
    png.data.set([1, 2, 3, 255, 4, 5, 6, 255]);
    const back = await decodeImageFile(new Uint8Array(PNG.sync.write(png)), 'p.png');
    assert.deepEqual([...back.data], [1, 2, 3, 255, 4, 5, 6, 255]);
  });
});
