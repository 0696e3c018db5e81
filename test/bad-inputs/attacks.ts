/**
 * Hostile checkpoints, one per attack class on the reader's memory, built byte for byte at the
 * sizes that used to exhaust it (nothing is committed: tests and the benchmark make them). Each
 * is small on disk; before the reader had a budget, reading them took gigabytes or a tenth of a
 * second per kilobyte.
 */
import { crc32, createDeflateRaw } from 'node:zlib';

import { PickleWriter, float32Bytes, stateDictPickle } from './pickle-writer.js';
import type { TensorEntry } from './pickle-writer.js';

/** One hostile file and what the reader must answer. */
export interface Attack {
  readonly id: string;
  /** What the file is, in words. */
  readonly what: string;
  readonly bytes: Uint8Array;
  /** Class name of the error `convertCheckpoint` must end in. */
  readonly error: string;
  /** What its message must say. */
  readonly message: RegExp;
  /**
   * Bytes of storage the file's state_dict actually references (what the memory bound of the
   * reader is stated in).
   */
  readonly referencedBytes: number;
}

const encoder = new TextEncoder();
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/** A legacy (torch < 1.6) file: magic, protocol, sys_info, `main`, the key list and storages. */
export function legacyCheckpoint(main: Uint8Array, storages: Readonly<Record<string, Uint8Array>>): Uint8Array {
  const magic = new PickleWriter().proto(2);
  const digits: number[] = [];
  for (let v = LEGACY_MAGIC; v > 0n; v >>= 8n) digits.push(Number(v & 0xffn));
  magic.raw(0x8a, digits.length, ...digits).stop();
  const parts: Uint8Array[] = [
    magic.toBytes(),
    new PickleWriter().proto(2).int(1001).stop().toBytes(),
    new PickleWriter().proto(2).emptyDict().stop().toBytes(),
    main,
  ];
  const keys = new PickleWriter().proto(2).emptyList();
  for (const key of Object.keys(storages)) keys.str(key).append();
  parts.push(keys.stop().toBytes());
  for (const data of Object.values(storages)) {
    const count = new Uint8Array(8);
    new DataView(count.buffer).setBigUint64(0, BigInt(data.length / 4), true);
    parts.push(count, data);
  }
  return concat(parts);
}

/** A zip archive of `files`, each stored or deflated (raw deflate bytes given). */
export function zipArchive(
  files: readonly { name: string; data: Uint8Array; deflated?: { size: number; crc: number } }[],
): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const f of files) {
    const name = encoder.encode(f.name);
    const original = f.deflated?.size ?? f.data.length;
    const crc = f.deflated?.crc ?? crc32(f.data);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, f.deflated === undefined ? 0 : 8, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, f.data.length, true);
    lv.setUint32(22, original, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, f.deflated === undefined ? 0 : 8, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, f.data.length, true);
    cv.setUint32(24, original, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local, f.data);
    centrals.push(central);
    offset += local.length + f.data.length;
  }
  const dir = concat(centrals);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, files.length, true);
  ev.setUint16(10, files.length, true);
  ev.setUint32(12, dir.length, true);
  ev.setUint32(16, offset, true);
  return concat([...locals, dir, end]);
}

/** Raw deflate of `size` zero bytes, streamed (never holds the zeros). */
export async function deflatedZeros(size: number): Promise<{ data: Uint8Array; size: number; crc: number }> {
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (b: Buffer) => out.push(b));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  const chunk = Buffer.alloc(1 << 20);
  let crc = 0;
  for (let left = size; left > 0; left -= chunk.length) {
    const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
    crc = crc32(part, crc);
    if (!deflate.write(part)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  return { data: new Uint8Array(Buffer.concat(out)), size, crc };
}

/**
 * The attack classes, at the sizes of the measurements that found them (8,000 memo entries on a
 * stride-0 tensor: 4.8 GB and 46 s before the budget; 4,000 entries on one 64 kB storage: 250 MiB;
 * an unreferenced 400 MiB zip record: inflated and kept; lists 100,000 deep grown through the
 * memo: accepted).
 */
export async function attacks(): Promise<Attack[]> {
  const out: Attack[] = [];

  // 1. A stride-0 tensor as long as the file, under 8,000 keys via the memo.
  {
    const entries = 8000;
    const w = new PickleWriter().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce();
    const fileLength = 152_000;
    for (let i = 0; i < entries; i++) {
      w.str(`k${i}`);
      if (i === 0) {
        w.global('torch._utils', '_rebuild_tensor_v2').mark();
        w.mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(4).tuple().binpersid();
        w.int(0).mark().int(fileLength).tuple().mark().int(0).tuple();
        w.bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
        w.longBinput(1);
      } else {
        w.longBinget(1);
      }
      w.setitem();
    }
    const bytes = legacyCheckpoint(w.stop().toBytes(), { '0': float32Bytes([1, 2, 3, 4]) });
    out.push({
      id: 'stride0-memo',
      what: `legacy file, ${entries} entries pointing (via the memo) at one stride-0 tensor as long as the file`,
      bytes,
      error: 'CheckpointFormatError',
      message: /tensor 'k0' \(shape \[152000\], strides \[0\].*is a broadcast view \(stride 0\)/,
      referencedBytes: 16,
    });
  }

  // 2. 4,000 entries reading the same 64 kB storage (the same view, read once).
  const storage64k = float32Bytes(Array.from({ length: 16384 }, (_, i) => i / 16384));
  {
    const entries: TensorEntry[] = Array.from({ length: 4000 }, (_, i) => ({
      key: `k${i}`,
      storage: '0',
      numel: 16384,
      shape: [16384],
      stride: [1],
    }));
    out.push({
      id: 'shared-storage',
      what: '4,000 entries sharing one 64 kB contiguous storage (zip)',
      bytes: torchZipStored(stateDictPickle(entries), { '0': storage64k }),
      error: 'CheckpointArchitectureError',
      message: /not a BagNet|missing|unexpected/,
      referencedBytes: storage64k.length,
    });
  }

  // 3. 4,000 overlapping views of that storage (each shifted by one element).
  {
    const entries: TensorEntry[] = Array.from({ length: 4000 }, (_, i) => ({
      key: `k${i}`,
      storage: '0',
      numel: 16384,
      shape: [12000],
      stride: [1],
      offset: i,
    }));
    out.push({
      id: 'overlapping-views',
      what: '4,000 overlapping views of one 64 kB storage (zip)',
      bytes: torchZipStored(stateDictPickle(entries), { '0': storage64k }),
      error: 'CheckpointFormatError',
      message: /tensor 'k1' .* overlaps tensor 'k0' .* Tensors whose elements overlap are refused/,
      referencedBytes: storage64k.length,
    });
  }

  // 4. An unreferenced 400 MiB record of zeros beside a valid (non-BagNet) state_dict.
  const zeros = await deflatedZeros(400 * 1024 * 1024);
  {
    const pkl = stateDictPickle([{ key: 'w', storage: '0', numel: 4, shape: [4], stride: [1] }]);
    out.push({
      id: 'zip-bomb-unreferenced',
      what: `zip with an unreferenced 400 MiB record of zeros (${zeros.data.length} bytes deflated)`,
      bytes: zipArchive([
        { name: 'archive/data.pkl', data: pkl },
        { name: 'archive/data/0', data: float32Bytes([1, 2, 3, 4]) },
        { name: 'archive/data/1', data: zeros.data, deflated: zeros },
        { name: 'archive/version', data: encoder.encode('3\n') },
      ]),
      error: 'CheckpointArchitectureError',
      message: /not a BagNet|missing|unexpected/,
      referencedBytes: 16,
    });
  }

  // 5. The same record referenced by a tensor: over the budget, refused before inflating.
  {
    const numel = zeros.size / 4;
    const pkl = stateDictPickle([{ key: 'w', storage: '1', numel, shape: [numel], stride: [1] }]);
    out.push({
      id: 'zip-bomb-referenced',
      what: 'zip whose one tensor reads a 400 MiB deflated record of zeros',
      bytes: zipArchive([
        { name: 'archive/data.pkl', data: pkl },
        { name: 'archive/data/1', data: zeros.data, deflated: zeros },
        { name: 'archive/version', data: encoder.encode('3\n') },
      ]),
      error: 'CheckpointBudgetError',
      message: /budget \(option maxBytes\)/,
      referencedBytes: zeros.size,
    });
  }

  // 6. Lists nested 100,000 deep, grown at the bottom through the memo.
  {
    const w = new PickleWriter().proto(2).emptyList().longBinput(0);
    for (let i = 1; i <= 100_000; i++)
      w.longBinget(i - 1)
        .emptyList()
        .longBinput(i)
        .append()
        .raw(0x30);
    w.longBinget(0);
    out.push({
      id: 'deep-nesting-memo',
      what: 'lists nested 100,000 deep, grown at the bottom through the memo (zip data.pkl)',
      bytes: torchZipStored(w.stop().toBytes(), {}),
      error: 'CheckpointFormatError',
      message: /changes a container that already sits inside another one/,
      referencedBytes: 0,
    });
  }

  // 7. A flood of values: 1.1 M empty lists, one byte each.
  {
    const n = 1_100_000;
    const pkl = new Uint8Array(n + 3);
    pkl.set([0x80, 2]);
    pkl.fill(0x5d, 2, n + 2);
    pkl[n + 2] = 0x2e;
    out.push({
      id: 'value-flood',
      what: `data.pkl of ${n.toLocaleString('en')} EMPTY_LIST opcodes (zip)`,
      bytes: torchZipStored(pkl, {}),
      error: 'CheckpointFormatError',
      message: /more than 250000 values/,
      referencedBytes: 0,
    });
  }
  return out;
}

function torchZipStored(pkl: Uint8Array, records: Readonly<Record<string, Uint8Array>>): Uint8Array {
  return zipArchive([
    { name: 'archive/data.pkl', data: pkl },
    ...Object.entries(records).map(([key, data]) => ({ name: `archive/data/${key}`, data })),
    { name: 'archive/version', data: encoder.encode('3\n') },
  ]);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
