/**
 * A zip reader for torch.save archives that reads the central directory once and extracts a
 * record only when asked, into a buffer of exactly its declared size. A stored record (what
 * torch writes) is a view of the input, not a copy; a deflated one (a re-zipped file) is inflated
 * in small steps and refused as soon as it would exceed its declared size, and a declared size
 * beyond what deflate can physically produce from the compressed bytes is refused before
 * anything is inflated.
 */
import { Inflate } from 'fflate';

import { decodeUtf8 } from './pickle.js';

/** One record of the central directory. */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate. */
  readonly compression: number;
  readonly size: number;
  readonly originalSize: number;
  /** Offset of the local file header. */
  readonly headerOffset: number;
}

/**
 * Deflate's densest encoding spends two bits on a 258-byte match (one-symbol Huffman codes for
 * length 258 and distance 1), so no stream inflates to more than 1032 bytes per input byte; the
 * constant covers block headers of tiny streams.
 */
export const MAX_DEFLATE_RATIO = 1032;
const DEFLATE_SLACK = 1024;
/** Compressed bytes fed to the inflater per step: at most ~1 MB of output between checks. */
const INFLATE_STEP = 1024;

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export class ZipArchive {
  private readonly view: DataView;
  private readonly entries = new Map<string, ZipEntry>();
  /** Record names in central-directory order. */
  readonly names: string[] = [];

  constructor(
    private readonly bytes: Uint8Array,
    private readonly fail: (what: string, cause?: unknown) => Error,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.readDirectory();
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  entry(name: string): ZipEntry {
    const entry = this.entries.get(name);
    if (entry === undefined) throw this.fail(`it has no record '${name}'`);
    return entry;
  }

  /** The bytes of a record: a view of the input when stored, a new buffer when deflated. */
  read(name: string): Uint8Array {
    const entry = this.entry(name);
    const start = this.dataStart(entry);
    if (entry.size > this.bytes.length - start) {
      throw this.fail(`record '${name}' needs ${entry.size} bytes at byte ${start} but the file ends before`);
    }
    const data = this.bytes.subarray(start, start + entry.size);
    if (entry.compression === 0) return data;
    const out = new Uint8Array(entry.originalSize);
    let filled = 0;
    let overflow: Error | undefined;
    const inflater = new Inflate((chunk) => {
      if (chunk.length > out.length - filled) {
        overflow = this.fail(`record '${name}' inflates to more than the ${entry.originalSize} bytes it declares`);
        throw overflow;
      }
      out.set(chunk, filled);
      filled += chunk.length;
    });
    try {
      for (let i = 0; i < data.length; i += INFLATE_STEP) {
        inflater.push(data.subarray(i, i + INFLATE_STEP), i + INFLATE_STEP >= data.length);
      }
      if (data.length === 0) inflater.push(data, true);
    } catch (e) {
      if (overflow !== undefined) throw overflow;
      throw this.fail(`record '${name}' is not valid deflate data (${e instanceof Error ? e.message : String(e)})`, e);
    }
    if (filled !== out.length) {
      throw this.fail(`record '${name}' inflates to ${filled} bytes but declares ${entry.originalSize}`);
    }
    return out;
  }

  private dataStart(entry: ZipEntry): number {
    const at = entry.headerOffset;
    if (at + 30 > this.bytes.length || this.view.getUint32(at, true) !== LOCAL) {
      throw this.fail(`record '${entry.name}' has no local header at byte ${at}`);
    }
    return at + 30 + this.view.getUint16(at + 26, true) + this.view.getUint16(at + 28, true);
  }

  private readDirectory(): void {
    const { bytes, view } = this;
    let eocd = -1;
    for (let i = bytes.length - 22; i >= 0 && i >= bytes.length - 22 - 0xffff; i--) {
      if (view.getUint32(i, true) === EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw this.fail('it has no end-of-central-directory record; it is truncated or corrupt');
    let count = view.getUint16(eocd + 10, true);
    let dirSize = view.getUint32(eocd + 12, true);
    let dirOffset = view.getUint32(eocd + 16, true);
    if (count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) {
      const locator = eocd - 20;
      if (locator >= 0 && view.getUint32(locator, true) === ZIP64_LOCATOR) {
        const at = this.u64(locator + 8);
        if (at + 56 > bytes.length || view.getUint32(at, true) !== ZIP64_EOCD) {
          throw this.fail('its zip64 end-of-central-directory record is missing or corrupt');
        }
        count = this.u64(at + 32);
        dirSize = this.u64(at + 40);
        dirOffset = this.u64(at + 48);
      }
    }
    if (dirOffset + dirSize > bytes.length || count > dirSize / 46) {
      throw this.fail(
        `its central directory (${count} entries, ${dirSize} bytes at byte ${dirOffset}) does not fit in the file`,
      );
    }
    let pos = dirOffset;
    for (let i = 0; i < count; i++) {
      if (pos + 46 > dirOffset + dirSize || view.getUint32(pos, true) !== CENTRAL) {
        throw this.fail(`central directory entry ${i} at byte ${pos} is corrupt`);
      }
      const flags = view.getUint16(pos + 8, true);
      const compression = view.getUint16(pos + 10, true);
      let size = view.getUint32(pos + 20, true);
      let originalSize = view.getUint32(pos + 24, true);
      const nameLength = view.getUint16(pos + 28, true);
      const extraLength = view.getUint16(pos + 30, true);
      const commentLength = view.getUint16(pos + 32, true);
      let headerOffset = view.getUint32(pos + 42, true);
      const end = pos + 46 + nameLength + extraLength + commentLength;
      if (end > dirOffset + dirSize) throw this.fail(`central directory entry ${i} at byte ${pos} is corrupt`);
      const name = decodeUtf8(bytes.subarray(pos + 46, pos + 46 + nameLength));
      // zip64 extra field: the 64-bit values of the fields that hold 0xffffffff, in this order.
      for (let x = pos + 46 + nameLength; x + 4 <= pos + 46 + nameLength + extraLength;) {
        const id = view.getUint16(x, true);
        const length = view.getUint16(x + 2, true);
        if (id === 0x0001) {
          let f = x + 4;
          const next = (): number => {
            if (f + 8 > x + 4 + length) throw this.fail(`record '${name}' has a short zip64 extra field`);
            const v = this.u64(f);
            f += 8;
            return v;
          };
          if (originalSize === 0xffffffff) originalSize = next();
          if (size === 0xffffffff) size = next();
          if (headerOffset === 0xffffffff) headerOffset = next();
        }
        x += 4 + length;
      }
      pos = end;
      if ((flags & 1) !== 0) throw this.fail(`record '${name}' is encrypted`);
      if (compression !== 0 && compression !== 8) {
        throw this.fail(`record '${name}' uses compression method ${compression}; only stored and deflate are read`);
      }
      if (compression === 0 ? originalSize !== size : originalSize > size * MAX_DEFLATE_RATIO + DEFLATE_SLACK) {
        throw this.fail(
          `record '${name}' claims ${originalSize} bytes from ${size} compressed bytes, which is impossible`,
        );
      }
      if (!this.entries.has(name)) {
        this.entries.set(name, { name, compression, size, originalSize, headerOffset });
        this.names.push(name);
      }
    }
  }

  private u64(at: number): number {
    if (at + 8 > this.bytes.length) throw this.fail(`a zip64 field at byte ${at} lies past the end of the file`);
    const lo = this.view.getUint32(at, true);
    const hi = this.view.getUint32(at + 4, true);
    if (hi >= 0x200000) throw this.fail(`a zip64 field at byte ${at} declares more than 2^53 bytes`);
    return hi * 0x100000000 + lo;
  }
}
