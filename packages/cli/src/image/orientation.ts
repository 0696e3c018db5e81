/**
 * EXIF orientation of JPEG photos. Cameras store pixels as the sensor saw them and record how to
 * turn them upright in EXIF tag 0x0112; browsers apply it (CSS `image-orientation: from-image`),
 * jpeg-js does not. `bagnet explain` applies it so a phone photo is explained the way it is seen.
 */

/** The EXIF orientation (1–8) of a JPEG, or 1 when it has none. Reads markers only up to the scan. */
export function jpegOrientation(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 2; // after SOI
  while (p + 4 <= bytes.length && bytes[p] === 0xff) {
    const marker = bytes[p + 1]!;
    if (marker === 0xda || marker === 0xd9) break; // start of scan / end of image
    const length = view.getUint16(p + 2);
    const start = p + 4;
    if (
      marker === 0xe1 &&
      length >= 16 &&
      start + length - 2 <= bytes.length &&
      String.fromCharCode(...bytes.subarray(start, start + 6)) === 'Exif\0\0'
    ) {
      return tiffOrientation(view, start + 6, start + length - 2);
    }
    p = start + length - 2;
  }
  return 1;
}

function tiffOrientation(view: DataView, tiff: number, end: number): number {
  if (tiff + 8 > end) return 1;
  const order = view.getUint16(tiff);
  if (order !== 0x4949 && order !== 0x4d4d) return 1;
  const le = order === 0x4949;
  if (view.getUint16(tiff + 2, le) !== 42) return 1;
  const ifd = tiff + view.getUint32(tiff + 4, le);
  if (ifd + 2 > end) return 1;
  const entries = view.getUint16(ifd, le);
  for (let i = 0; i < entries; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > end) return 1;
    if (view.getUint16(e, le) === 0x0112 && view.getUint16(e + 2, le) === 3) {
      const value = view.getUint16(e + 8, le);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

/**
 * RGBA pixels turned upright for EXIF `orientation` (1–8): mirrored and/or rotated; orientations
 * 5–8 swap width and height. Returns the input unchanged for 1.
 */
export function applyOrientation(
  image: { readonly data: Uint8Array; readonly width: number; readonly height: number },
  orientation: number,
): { data: Uint8Array; width: number; height: number } {
  const { data, width: w, height: h } = image;
  if (orientation < 2 || orientation > 8) return { data, width: w, height: h };
  const swap = orientation >= 5;
  const ow = swap ? h : w;
  const oh = swap ? w : h;
  // Source pixel of output pixel (x, y) for each orientation.
  const source: Record<number, (x: number, y: number) => [number, number]> = {
    2: (x, y) => [w - 1 - x, y],
    3: (x, y) => [w - 1 - x, h - 1 - y],
    4: (x, y) => [x, h - 1 - y],
    5: (x, y) => [y, x],
    6: (x, y) => [y, h - 1 - x],
    7: (x, y) => [w - 1 - y, h - 1 - x],
    8: (x, y) => [w - 1 - y, x],
  };
  const from = source[orientation]!;
  const out = new Uint8Array(data.length);
  const aligned = data.byteOffset % 4 === 0 ? data : data.slice();
  const src = new Uint32Array(aligned.buffer, aligned.byteOffset, w * h); // one RGBA pixel per element
  const dst = new Uint32Array(out.buffer);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const [sx, sy] = from(x, y);
      dst[y * ow + x] = src[sy * w + sx]!;
    }
  }
  return { data: out, width: ow, height: oh };
}
