/**
 * PNG, JPEG and WebP decoding in Node with maintained decoders (pngjs, jpeg-js, and libwebp's
 * decoder compiled to WebAssembly by @jsquash/webp), chosen by the file's signature, not its name.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

import { CliError } from '../errors.js';
import { applyOrientation, jpegOrientation } from './orientation.js';

/** Decoded 8-bit RGBA pixels, row-major, top row first. Alpha is kept but BagNets ignore it. */
export interface DecodedImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly format: 'PNG' | 'JPEG' | 'WebP';
}

/** Largest image decoded, in megapixels (a guard against decompression bombs). */
export const MAX_DECODE_MEGAPIXELS = 100;

function signature(bytes: Uint8Array): string {
  const at = (i: number) => bytes[i] ?? -1;
  const ascii = (a: number, b: number) => String.fromCharCode(...bytes.subarray(a, b));
  if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'PNG';
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return 'JPEG';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'a WebP image';
  if (ascii(0, 4) === 'GIF8') return 'a GIF image';
  if (ascii(0, 2) === 'BM') return 'a BMP image';
  if (ascii(4, 12) === 'ftypavif' || ascii(4, 12) === 'ftypheic') return 'an AVIF/HEIC image';
  return `unknown (starts with bytes ${[...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ') || 'nothing: the file is empty'})`;
}

/**
 * Decodes a PNG (any bit depth, palette, grey or colour, with or without alpha; 16-bit is scaled
 * to 8) or a baseline/progressive JPEG to RGBA. A JPEG's EXIF orientation is applied, as browsers
 * do, so photos come out upright.
 *
 * @throws {CliError} for other formats and for damaged files, naming the file.
 */
export function decodeImage(bytes: Uint8Array, name: string): DecodedImage {
  const kind = signature(bytes);
  if (kind === 'PNG') {
    // Refuse a decompression bomb from its header, before the decoder allocates width × height × 4
    // bytes (a 48 kB PNG can claim 20000 × 20000 px: 1.6 GB and half a minute to inflate).
    const header = pngHeaderSize(bytes);
    if (header !== undefined && header.width * header.height > MAX_DECODE_MEGAPIXELS * 1e6) {
      throw tooLarge(name, header.width, header.height);
    }
    let png: PNG;
    try {
      png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (e) {
      throw new CliError(`Cannot decode PNG '${name}': ${reason(e)}. The file is damaged or truncated.`, { cause: e });
    }
    if (png.width * png.height > MAX_DECODE_MEGAPIXELS * 1e6) throw tooLarge(name, png.width, png.height);
    return {
      data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength),
      width: png.width,
      height: png.height,
      format: 'PNG',
    };
  }
  if (kind === 'JPEG') {
    if (jpegTruncated(bytes)) {
      throw new CliError(
        `Cannot decode JPEG '${name}': the image data ends before its end marker. The file is truncated.`,
      );
    }
    let img: { width: number; height: number; data: Uint8Array };
    try {
      img = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: MAX_DECODE_MEGAPIXELS,
        maxMemoryUsageInMB: 2048,
      });
    } catch (e) {
      const msg = reason(e);
      if (/maxResolutionInMP/.test(msg)) throw tooLarge(name);
      throw new CliError(`Cannot decode JPEG '${name}': ${msg}. The file is damaged or truncated.`, { cause: e });
    }
    if (!(img.width > 0 && img.height > 0) || img.data.length !== img.width * img.height * 4) {
      throw new CliError(`Cannot decode JPEG '${name}': it holds no complete image. The file is damaged or truncated.`);
    }
    const upright = applyOrientation(img, jpegOrientation(bytes));
    return { ...upright, format: 'JPEG' };
  }
  if (kind === 'a WebP image') {
    throw new CliError(`Cannot decode WebP '${name}' here: use decodeImageFile(), which loads the WebP decoder.`);
  }
  throw new CliError(`Cannot decode image '${name}': it is not a PNG, JPEG or WebP file (format: ${kind}).`);
}

type WebPDecoder = (bytes: ArrayBuffer) => Promise<{ data: Uint8ClampedArray; width: number; height: number }>;
let webpDecoder: Promise<WebPDecoder> | undefined;

/** libwebp's decoder (WebAssembly, compiled once per process from the package's own .wasm file). */
function loadWebPDecoder(): Promise<WebPDecoder> {
  webpDecoder ??= (async () => {
    const { default: decode, init } = await import('@jsquash/webp/decode.js');
    const wasm = createRequire(import.meta.url).resolve('@jsquash/webp/codec/dec/webp_dec.wasm');
    await init(await WebAssembly.compile(await readFile(wasm)));
    return decode as WebPDecoder;
  })();
  return webpDecoder;
}

/**
 * Like {@link decodeImage}, and WebP too (lossy, lossless, with alpha; the first frame of an
 * animation is not supported by the decoder and fails with a message).
 */
export async function decodeImageFile(bytes: Uint8Array, name: string): Promise<DecodedImage> {
  if (signature(bytes) !== 'a WebP image') return decodeImage(bytes, name);
  const size = webpHeaderSize(bytes);
  if (size !== undefined && size.width * size.height > MAX_DECODE_MEGAPIXELS * 1e6) {
    throw tooLarge(name, size.width, size.height);
  }
  const decode = await loadWebPDecoder();
  let img: { data: Uint8ClampedArray; width: number; height: number };
  try {
    img = await decode(bytes.slice().buffer);
  } catch (e) {
    throw new CliError(`Cannot decode WebP '${name}': ${reason(e)}. The file is damaged, truncated or animated.`, {
      cause: e,
    });
  }
  if (!(img.width > 0 && img.height > 0) || img.data.length !== img.width * img.height * 4) {
    throw new CliError(`Cannot decode WebP '${name}': it holds no complete image. The file is damaged or truncated.`);
  }
  return {
    data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength),
    width: img.width,
    height: img.height,
    format: 'WebP',
  };
}

/** Width and height from a WebP's first chunk (VP8X canvas, VP8 frame or VP8L header). */
function webpHeaderSize(b: Uint8Array): { width: number; height: number } | undefined {
  if (b.length < 30) return undefined;
  const chunk = String.fromCharCode(...b.subarray(12, 16));
  const at = (i: number) => b[i]!;
  if (chunk === 'VP8X') {
    return {
      width: 1 + (at(24) | (at(25) << 8) | (at(26) << 16)),
      height: 1 + (at(27) | (at(28) << 8) | (at(29) << 16)),
    };
  }
  if (chunk === 'VP8 ') return { width: (at(26) | (at(27) << 8)) & 0x3fff, height: (at(28) | (at(29) << 8)) & 0x3fff };
  if (chunk === 'VP8L' && at(20) === 0x2f) {
    const bits = at(21) | (at(22) << 8) | (at(23) << 16) | (at(24) << 24);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
  }
  return undefined;
}

/** Width and height from a PNG's IHDR chunk (the first chunk), when it is there. */
function pngHeaderSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/**
 * Whether a JPEG lacks the end-of-image marker after its last scan. jpeg-js decodes such files
 * (grey below the cut) without complaint; a truncated download should be an error instead. Marker
 * bytes cannot occur inside entropy-coded data (0xFF is stuffed as FF 00), so the search is exact.
 */
function jpegTruncated(bytes: Uint8Array): boolean {
  let lastScan = -1;
  let lastEnd = -1;
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] !== 0xff) continue;
    const m = bytes[i + 1];
    if (m === 0xda) lastScan = i;
    else if (m === 0xd9) lastEnd = i;
  }
  return lastScan < 0 || lastEnd < lastScan;
}

function tooLarge(name: string, width?: number, height?: number): CliError {
  return new CliError(
    `Image '${name}'${width === undefined ? '' : ` (${width}×${height} px)`} is larger than ${MAX_DECODE_MEGAPIXELS} megapixels; downscale it first.`,
  );
}

function reason(e: unknown): string {
  const text = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
  return text.replace(/\.$/, '') || 'unknown error';
}
