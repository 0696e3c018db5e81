/**
 * A pickle assembler and torch.save container writers for tests: hand-made pickles (malicious
 * opcodes, impossible sizes) and zip / legacy checkpoints around them, byte for byte, without
 * Python. Opcode values are those of CPython's pickletools.
 */
import { zipSync } from 'fflate';

const encoder = new TextEncoder();

/** Builds a pickle opcode by opcode. */
export class PickleWriter {
  readonly #bytes: number[] = [];

  /** Raw bytes. */
  raw(...bytes: number[]): this {
    this.#bytes.push(...bytes);
    return this;
  }

  #u32(n: number): number[] {
    return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  }

  proto(version = 2): this {
    return this.raw(0x80, version);
  }

  stop(): this {
    return this.raw(0x2e);
  }

  mark(): this {
    return this.raw(0x28);
  }

  none(): this {
    return this.raw(0x4e);
  }

  bool(v: boolean): this {
    return this.raw(v ? 0x88 : 0x89);
  }

  /** An int: BININT1, BININT or LONG1 (8 bytes, little-endian two's complement). */
  int(n: number | bigint): this {
    const v = BigInt(n);
    if (v >= 0n && v < 256n) return this.raw(0x4b, Number(v));
    if (v >= -(2n ** 31n) && v < 2n ** 31n) return this.raw(0x4a, ...this.#u32(Number(BigInt.asUintN(32, v))));
    const bytes: number[] = [];
    let u = BigInt.asUintN(64, v);
    for (let i = 0; i < 8; i++, u >>= 8n) bytes.push(Number(u & 0xffn));
    return this.raw(0x8a, 8, ...bytes);
  }

  /** A str: BINUNICODE. */
  str(s: string): this {
    const b = encoder.encode(s);
    return this.raw(0x58, ...this.#u32(b.length), ...b);
  }

  /** A str: SHORT_BINUNICODE (protocol 4). */
  shortStr(s: string): this {
    const b = encoder.encode(s);
    return this.raw(0x8c, b.length, ...b);
  }

  bytes(b: Uint8Array): this {
    return this.raw(0x42, ...this.#u32(b.length), ...b);
  }

  /** GLOBAL 'module\nname\n'. */
  global(module: string, name: string): this {
    return this.raw(0x63, ...encoder.encode(`${module}\n${name}\n`));
  }

  /** Two SHORT_BINUNICODE strings and STACK_GLOBAL (protocol 4). */
  stackGlobal(module: string, name: string): this {
    return this.shortStr(module).shortStr(name).raw(0x93);
  }

  /** INST 'module\nname\n' (protocol 0: calls the class with the items since the mark). */
  inst(module: string, name: string): this {
    return this.raw(0x69, ...encoder.encode(`${module}\n${name}\n`));
  }

  tuple(): this {
    return this.raw(0x74);
  }

  tuple1(): this {
    return this.raw(0x85);
  }

  tuple2(): this {
    return this.raw(0x86);
  }

  emptyTuple(): this {
    return this.raw(0x29);
  }

  emptyDict(): this {
    return this.raw(0x7d);
  }

  emptyList(): this {
    return this.raw(0x5d);
  }

  setitem(): this {
    return this.raw(0x73);
  }

  append(): this {
    return this.raw(0x61);
  }

  reduce(): this {
    return this.raw(0x52);
  }

  build(): this {
    return this.raw(0x62);
  }

  newobj(): this {
    return this.raw(0x81);
  }

  newobjEx(): this {
    return this.raw(0x92);
  }

  obj(): this {
    return this.raw(0x6f);
  }

  binpersid(): this {
    return this.raw(0x51);
  }

  /** PERSID with a text id (protocol 0). */
  persid(id: string): this {
    return this.raw(0x50, ...encoder.encode(`${id}\n`));
  }

  binput(i: number): this {
    return this.raw(0x71, i);
  }

  longBinput(i: number): this {
    return this.raw(0x72, ...this.#u32(i));
  }

  binget(i: number): this {
    return this.raw(0x68, i);
  }

  longBinget(i: number): this {
    return this.raw(0x6a, ...this.#u32(i));
  }

  memoize(): this {
    return this.raw(0x94);
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}

/** One tensor of a hand-made state_dict. */
export interface TensorEntry {
  readonly key: string;
  /** Storage key (the zip record `data/<storage>`). */
  readonly storage: string;
  /** Storage class, e.g. `FloatStorage`. */
  readonly storageType?: string;
  /** Elements the persistent id declares for the storage. */
  readonly numel: number | bigint;
  readonly shape: readonly (number | bigint)[];
  readonly stride: readonly (number | bigint)[];
  readonly offset?: number;
}

/**
 * The data.pkl torch.save writes for a state_dict: an OrderedDict of
 * `_rebuild_tensor_v2(persistent storage id, offset, size, stride, False, OrderedDict())`.
 */
export function stateDictPickle(entries: readonly TensorEntry[]): Uint8Array {
  const w = new PickleWriter().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce();
  for (const e of entries) {
    w.str(e.key).global('torch._utils', '_rebuild_tensor_v2').mark();
    w.mark()
      .str('storage')
      .global('torch', e.storageType ?? 'FloatStorage')
      .str(e.storage)
      .str('cpu')
      .int(e.numel)
      .tuple()
      .binpersid();
    w.int(e.offset ?? 0);
    w.mark();
    e.shape.forEach((d) => w.int(d));
    w.tuple().mark();
    e.stride.forEach((d) => w.int(d));
    w.tuple().bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce().setitem();
  }
  return w.stop().toBytes();
}

/** A torch.save zip archive `<prefix>/data.pkl` + `<prefix>/data/<key>` records (stored, not deflated). */
export function torchZip(
  dataPkl: Uint8Array,
  records: Readonly<Record<string, Uint8Array>>,
  prefix = 'archive',
): Uint8Array {
  const files: Record<string, Uint8Array> = { [`${prefix}/data.pkl`]: dataPkl };
  for (const [key, bytes] of Object.entries(records)) files[`${prefix}/data/${key}`] = bytes;
  files[`${prefix}/version`] = encoder.encode('3\n');
  return zipSync(files, { level: 0 });
}

/** Float32 little-endian bytes. */
export function float32Bytes(values: readonly number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/**
 * A torch.save zip checkpoint of a state_dict with these keys and shapes (for a BagNet:
 * `referenceStateDictShapes(architecture)` of @bagnet-vis/convert), one stored record per tensor:
 * deterministic values from `seed` in [-0.05, 0.05), variances (`*running_var`) in [0.5, 1.5).
 * A full-size BagNet-33 is 73.5 MB.
 */
export function seededStateDictZip(shapes: ReadonlyMap<string, readonly number[]>, seed = 1): Uint8Array {
  let s = seed >>> 0;
  const entries: TensorEntry[] = [];
  const records: Record<string, Uint8Array> = {};
  let i = 0;
  for (const [key, shape] of shapes) {
    const numel = shape.reduce((p, d) => p * d, 1);
    const data = new Float32Array(numel);
    const variance = key.endsWith('running_var');
    for (let j = 0; j < numel; j++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      data[j] = variance ? 0.5 + s / 2 ** 32 : (s / 2 ** 32 - 0.5) / 10;
    }
    const stride = shape.map((_, d) => shape.slice(d + 1).reduce((p, x) => p * x, 1));
    entries.push({ key, storage: String(i), numel, shape, stride });
    records[String(i)] = new Uint8Array(data.buffer);
    i++;
  }
  return torchZip(stateDictPickle(entries), records);
}
