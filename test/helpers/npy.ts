/**
 * Minimal reader for the NumPy .npy (format 1.0) fixtures written by the reference generator:
 * little-endian float32 (`<f4`) or uint8 (`|u1`), C order.
 */
export interface NpyArray {
  readonly shape: number[];
  readonly data: Float32Array | Uint8Array;
}

export function parseNpy(bytes: Uint8Array): NpyArray {
  const magic = String.fromCharCode(...bytes.subarray(1, 6));
  if (bytes[0] !== 0x93 || magic !== 'NUMPY') throw new Error('not a .npy file');
  const major = bytes[6]!;
  const headerLen =
    major === 1 ? bytes[8]! | (bytes[9]! << 8) : new DataView(bytes.buffer, bytes.byteOffset + 8, 4).getUint32(0, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (/'fortran_order':\s*True/.test(header)) throw new Error('fortran order not supported');
  const body = bytes.slice(start + headerLen);
  if (descr === '<f4') return { shape, data: new Float32Array(body.buffer, 0, body.byteLength / 4) };
  if (descr === '|u1') return { shape, data: new Uint8Array(body.buffer) };
  throw new Error(`unsupported dtype ${String(descr)}`);
}
