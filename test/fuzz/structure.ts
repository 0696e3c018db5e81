/**
 * Where the sections and length fields of a PyTorch checkpoint are: pickle opcode boundaries and
 * operands (lengths, memo indices, integers), zip headers and their size / offset fields, and the
 * legacy format's storage counts. The fuzzer corrupts these fields on purpose; the bad-input
 * catalogue truncates a checkpoint at every section boundary.
 *
 * This is a scanner for well-formed seeds written by torch.save, not a validator: it walks what it
 * understands and stops quietly at anything else.
 */

/** A numeric field in the file: `size` bytes at `offset`, little-endian unless `bigEndian`. */
export interface LengthField {
  readonly offset: number;
  readonly size: 1 | 2 | 4 | 8;
  /** What the field holds, e.g. `BINUNICODE length`, `zip local compressed size`. */
  readonly kind: string;
}

/** Sections and fields of a checkpoint. */
export interface CheckpointStructure {
  readonly format: 'zip' | 'legacy' | 'unknown';
  /** Byte offsets where one section ends and the next begins (sorted, unique, inside the file). */
  readonly boundaries: readonly number[];
  /** Named section starts, for messages: `[offset, name]`. */
  readonly sections: readonly (readonly [number, string])[];
  readonly fields: readonly LengthField[];
}

const NO_ARG = new Set([
  0x28, 0x2e, 0x30, 0x31, 0x32, 0x4e, 0x52, 0x61, 0x62, 0x64, 0x7d, 0x65, 0x6c, 0x5d, 0x6f, 0x73, 0x74, 0x29, 0x75,
  0x51, 0x85, 0x86, 0x87, 0x88, 0x89, 0x81, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x97, 0x98,
]);
const FIXED: ReadonlyMap<number, [1 | 2 | 4 | 8, string]> = new Map([
  [0x80, [1, 'PROTO version']],
  [0x4b, [1, 'BININT1 value']],
  [0x68, [1, 'BINGET memo index']],
  [0x71, [1, 'BINPUT memo index']],
  [0x82, [1, 'EXT1 code']],
  [0x4d, [2, 'BININT2 value']],
  [0x83, [2, 'EXT2 code']],
  [0x4a, [4, 'BININT value']],
  [0x6a, [4, 'LONG_BINGET memo index']],
  [0x72, [4, 'LONG_BINPUT memo index']],
  [0x84, [4, 'EXT4 code']],
  [0x47, [8, 'BINFLOAT value']],
  [0x95, [8, 'FRAME length']],
]);
const COUNTED: ReadonlyMap<number, [1 | 4 | 8, string]> = new Map([
  [0x55, [1, 'SHORT_BINSTRING length']],
  [0x43, [1, 'SHORT_BINBYTES length']],
  [0x8c, [1, 'SHORT_BINUNICODE length']],
  [0x8a, [1, 'LONG1 length']],
  [0x54, [4, 'BINSTRING length']],
  [0x42, [4, 'BINBYTES length']],
  [0x58, [4, 'BINUNICODE length']],
  [0x8b, [4, 'LONG4 length']],
  [0x8d, [8, 'BINUNICODE8 length']],
  [0x8e, [8, 'BINBYTES8 length']],
  [0x96, [8, 'BYTEARRAY8 length']],
]);
/** Opcodes followed by newline-terminated text: how many lines. */
const LINES: ReadonlyMap<number, number> = new Map([
  [0x63, 2], // GLOBAL
  [0x69, 2], // INST
  [0x49, 1], // INT
  [0x4c, 1], // LONG
  [0x46, 1], // FLOAT
  [0x53, 1], // STRING
  [0x56, 1], // UNICODE
  [0x50, 1], // PERSID
  [0x67, 1], // GET
  [0x70, 1], // PUT
]);

function readUint(bytes: Uint8Array, offset: number, size: number): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + (bytes[offset + i] ?? 0);
  return v;
}

/**
 * Walks the pickle starting at `start` (to its STOP, or `end`); adds every opcode boundary and
 * operand field. Returns the offset after STOP, or -1 when the walk could not finish.
 */
export function walkPickle(
  bytes: Uint8Array,
  start: number,
  end: number,
  boundaries: number[],
  fields: LengthField[],
): number {
  let pos = start;
  while (pos < end) {
    boundaries.push(pos);
    const op = bytes[pos]!;
    pos++;
    if (op === 0x2e) return pos;
    if (NO_ARG.has(op)) continue;
    const fixed = FIXED.get(op);
    if (fixed) {
      fields.push({ offset: pos, size: fixed[0], kind: fixed[1] });
      pos += fixed[0];
      continue;
    }
    const counted = COUNTED.get(op);
    if (counted) {
      fields.push({ offset: pos, size: counted[0], kind: counted[1] });
      const n = readUint(bytes, pos, counted[0]);
      pos += counted[0] + n;
      continue;
    }
    const lines = LINES.get(op);
    if (lines !== undefined) {
      for (let l = 0; l < lines; l++) {
        const nl = bytes.indexOf(0x0a, pos);
        if (nl < 0) return -1;
        pos = nl + 1;
      }
      continue;
    }
    return -1;
  }
  return -1;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;

function zipStructure(bytes: Uint8Array): CheckpointStructure {
  const boundaries: number[] = [];
  const sections: [number, string][] = [];
  const fields: LengthField[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  for (let p = 0; p + 4 <= bytes.length; p++) {
    if (bytes[p] !== 0x50 || bytes[p + 1] !== 0x4b) continue;
    const sig = view.getUint32(p, true);
    if (sig === SIG_LOCAL && p + 30 <= bytes.length) {
      const method = view.getUint16(p + 8, true);
      const size = view.getUint32(p + 18, true);
      const nameLength = view.getUint16(p + 26, true);
      const extraLength = view.getUint16(p + 28, true);
      const name = decoder.decode(bytes.subarray(p + 30, p + 30 + nameLength));
      const data = p + 30 + nameLength + extraLength;
      boundaries.push(p, data, Math.min(bytes.length, data + size));
      sections.push([p, `local header of ${name}`], [data, `data of ${name}`]);
      fields.push(
        { offset: p + 18, size: 4, kind: `zip local compressed size (${name})` },
        { offset: p + 22, size: 4, kind: `zip local uncompressed size (${name})` },
        { offset: p + 26, size: 2, kind: `zip local name length (${name})` },
        { offset: p + 28, size: 2, kind: `zip local extra length (${name})` },
      );
      if (method === 0 && name.endsWith('data.pkl')) walkPickle(bytes, data, data + size, boundaries, fields);
      p = data + size - 1;
    } else if (sig === SIG_CENTRAL && p + 46 <= bytes.length) {
      const nameLength = view.getUint16(p + 28, true);
      const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLength));
      boundaries.push(p);
      sections.push([p, `central directory entry of ${name}`]);
      fields.push(
        { offset: p + 20, size: 4, kind: `zip central compressed size (${name})` },
        { offset: p + 24, size: 4, kind: `zip central uncompressed size (${name})` },
        { offset: p + 28, size: 2, kind: `zip central name length (${name})` },
        { offset: p + 30, size: 2, kind: `zip central extra length (${name})` },
        { offset: p + 42, size: 4, kind: `zip central local-header offset (${name})` },
      );
    } else if (sig === SIG_END && p + 22 <= bytes.length) {
      boundaries.push(p);
      sections.push([p, 'end of central directory']);
      fields.push(
        { offset: p + 8, size: 2, kind: 'zip entries on this disk' },
        { offset: p + 10, size: 2, kind: 'zip total entries' },
        { offset: p + 12, size: 4, kind: 'zip central directory size' },
        { offset: p + 16, size: 4, kind: 'zip central directory offset' },
      );
    }
  }
  return { format: 'zip', boundaries: tidy(boundaries, bytes.length), sections, fields };
}

function legacyStructure(bytes: Uint8Array): CheckpointStructure {
  const boundaries: number[] = [];
  const sections: [number, string][] = [];
  const fields: LengthField[] = [];
  const names = ['magic number', 'protocol version', 'sys_info', 'main pickle', 'storage key list'];
  let pos = 0;
  for (const name of names) {
    sections.push([pos, name]);
    const next = walkPickle(bytes, pos, bytes.length, boundaries, fields);
    if (next < 0) return { format: 'legacy', boundaries: tidy(boundaries, bytes.length), sections, fields };
    pos = next;
  }
  // Storages: u64 element count + raw bytes each. Element sizes are not known here; walk by
  // assuming float32 and stop when that runs past the end.
  let k = 0;
  while (pos + 8 <= bytes.length) {
    boundaries.push(pos, pos + 8);
    sections.push([pos, `storage ${k} count`], [pos + 8, `storage ${k} data`]);
    fields.push({ offset: pos, size: 8, kind: `legacy storage ${k} element count` });
    const count = readUint(bytes, pos, 8);
    const next = pos + 8 + count * 4;
    if (next > bytes.length) break;
    pos = next;
    k++;
  }
  return { format: 'legacy', boundaries: tidy(boundaries, bytes.length), sections, fields };
}

function tidy(boundaries: number[], length: number): number[] {
  return [...new Set(boundaries)].filter((b) => b > 0 && b < length).sort((a, b) => a - b);
}

/** Scans a checkpoint written by torch.save (zip or legacy). */
export function checkpointStructure(bytes: Uint8Array): CheckpointStructure {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return zipStructure(bytes);
  if (bytes[0] === 0x80) return legacyStructure(bytes);
  return { format: 'unknown', boundaries: [], sections: [], fields: [] };
}
