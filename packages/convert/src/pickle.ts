/**
 * A safe unpickler for the subset of Python pickle (protocols 2-5) that `torch.save` writes
 * for a state_dict.
 *
 * Nothing is imported, called or executed. Globals resolve only through an allow-list of
 * what a state_dict needs (`collections.OrderedDict`, the tensor rebuild functions and the
 * storage types), and those are implemented here as pure data constructors. Any other
 * global (`os.system`, `builtins.eval`, ...) is refused with an `UnsafePickleError` at the
 * GLOBAL / STACK_GLOBAL opcode that names it, before any REDUCE can run. Opcodes that can
 * build arbitrary objects (INST, OBJ, EXT*) are refused the same way.
 *
 * The work is bounded: at most {@link MAX_PICKLE_VALUES} values pushed in all,
 * nesting depth is limited for every container (a container that has been placed inside another
 * may no longer change, so its depth is final when it is placed), every read is checked against
 * the end of the data, memo references must exist, and malformed input raises a
 * `CheckpointFormatError` that names the byte offset.
 */
import { CheckpointFormatError, printable, UnsafePickleError } from './errors.js';
import type { TorchDType } from './dtype.js';

// ---------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------

/**
 * A value read from a pickle. Python `int` becomes `number` when it is a safe integer and
 * `bigint` otherwise; `float` becomes `number`; `str` becomes `string`; `bytes` and
 * `bytearray` become `Uint8Array`; `list` an array; `tuple` a {@link PickleTuple}; `dict`
 * and `OrderedDict` a `Map`; `set` and `frozenset` a `Set`. Values built by allow-listed
 * globals or returned by a `persistentLoad` callback are {@link PickleObject}s.
 */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleList
  | PickleTuple
  | PickleDict
  | PickleSet
  | PickleObject;

/** A Python `list`. */
export type PickleList = PickleValue[];
/** A Python `dict` or `collections.OrderedDict` (insertion order is kept). */
export type PickleDict = Map<PickleValue, PickleValue>;
/** A Python `set` or `frozenset`. */
export type PickleSet = Set<PickleValue>;

/** A Python `tuple`. */
export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}

  get length(): number {
    return this.items.length;
  }
}

/**
 * Base class of values that are not plain Python data: allow-listed globals, the values
 * they construct, and whatever a `persistentLoad` callback returns. Subclass it for the
 * objects your `persistentLoad` returns.
 */
export abstract class PickleObject {
  /** Short description used in error messages. */
  abstract describe(): string;
}

/** An allow-listed global that REDUCE may call (`collections.OrderedDict`, `torch._utils.*`). */
export class PickleCallable extends PickleObject {
  constructor(
    /** Dotted name, e.g. `'torch._utils._rebuild_tensor_v2'`. */
    readonly qualifiedName: string,
  ) {
    super();
  }

  describe(): string {
    return this.qualifiedName;
  }
}

/** A storage class such as `torch.FloatStorage` or `torch.cuda.HalfStorage`. */
export class TorchStorageType extends PickleObject {
  constructor(
    /** Dotted name, e.g. `'torch.cuda.FloatStorage'`. */
    readonly qualifiedName: string,
    /** Element type of the storage. */
    readonly dtype: TorchDType,
    /** Whether the class is a `torch.cuda.*` storage (the data is read on the CPU anyway). */
    readonly cuda: boolean,
  ) {
    super();
  }

  describe(): string {
    return this.qualifiedName;
  }
}

/** What `torch._utils._rebuild_tensor_v2` (or `_rebuild_tensor`, `_rebuild_parameter`) built. */
export class TorchTensorRef extends PickleObject {
  constructor(
    /** The storage, as returned by the `persistentLoad` callback. */
    readonly storage: PickleValue,
    /** Offset of the first element, in elements of the storage. */
    readonly storageOffset: number,
    readonly shape: readonly number[],
    /** Strides in elements. */
    readonly stride: readonly number[],
    readonly requiresGrad: boolean,
    /** Whether it was saved as an `nn.Parameter`. */
    readonly isParameter: boolean,
  ) {
    super();
  }

  describe(): string {
    return `tensor of shape [${this.shape.join(', ')}]`;
  }
}

// ---------------------------------------------------------------------------------------
// Allow-list
// ---------------------------------------------------------------------------------------

const STORAGE_DTYPES: ReadonlyMap<string, TorchDType> = new Map<string, TorchDType>([
  ['FloatStorage', 'float32'],
  ['DoubleStorage', 'float64'],
  ['HalfStorage', 'float16'],
  ['BFloat16Storage', 'bfloat16'],
  ['LongStorage', 'int64'],
  ['IntStorage', 'int32'],
  ['ShortStorage', 'int16'],
  ['CharStorage', 'int8'],
  ['ByteStorage', 'uint8'],
  ['BoolStorage', 'bool'],
]);

const ORDERED_DICT = 'collections.OrderedDict';
const REBUILD_TENSOR_V2 = 'torch._utils._rebuild_tensor_v2';
const REBUILD_TENSOR = 'torch._utils._rebuild_tensor';
const REBUILD_PARAMETER = 'torch._utils._rebuild_parameter';
const CALLABLES: ReadonlySet<string> = new Set([ORDERED_DICT, REBUILD_TENSOR_V2, REBUILD_TENSOR, REBUILD_PARAMETER]);

/** Every global the unpickler resolves; any other global is refused. */
export const ALLOWED_PICKLE_GLOBALS: readonly string[] = [
  ...CALLABLES,
  ...[...STORAGE_DTYPES.keys()].flatMap((name) => [`torch.${name}`, `torch.cuda.${name}`]),
];

function resolveGlobal(module: string, name: string): PickleObject | undefined {
  const qualifiedName = `${module}.${name}`;
  if (CALLABLES.has(qualifiedName)) return new PickleCallable(qualifiedName);
  if (module === 'torch' || module === 'torch.cuda') {
    const dtype = STORAGE_DTYPES.get(name);
    if (dtype !== undefined) return new TorchStorageType(qualifiedName, dtype, module === 'torch.cuda');
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Unpickler
// ---------------------------------------------------------------------------------------

/** Options of {@link unpickle}. */
export interface UnpickleOptions {
  /** Byte offset at which the pickle starts (default 0). */
  readonly offset?: number;
  /** Name of the record or section, used in error messages (e.g. `'archive/data.pkl'`). */
  readonly record?: string;
  /**
   * Resolves a persistent id (PERSID / BINPERSID). torch uses
   * `('storage', storage_type, key, location, numel[, view_metadata])`. Without a callback a
   * persistent id is a `CheckpointFormatError`.
   */
  readonly persistentLoad?: (pid: PickleValue, offset: number) => PickleValue;
  /** Maximum nesting of MARKs and of containers (default 1000). */
  readonly maxDepth?: number;
}

/** Result of {@link unpickle}. */
export interface UnpickleResult {
  /** The unpickled object. */
  readonly value: PickleValue;
  /** Byte offset just after the STOP opcode (where the next pickle would start). */
  readonly end: number;
}

const OPCODE_NAMES: ReadonlyMap<number, string> = new Map([
  [0x28, 'MARK'],
  [0x2e, 'STOP'],
  [0x30, 'POP'],
  [0x31, 'POP_MARK'],
  [0x32, 'DUP'],
  [0x46, 'FLOAT'],
  [0x49, 'INT'],
  [0x4a, 'BININT'],
  [0x4b, 'BININT1'],
  [0x4c, 'LONG'],
  [0x4d, 'BININT2'],
  [0x4e, 'NONE'],
  [0x50, 'PERSID'],
  [0x51, 'BINPERSID'],
  [0x52, 'REDUCE'],
  [0x53, 'STRING'],
  [0x54, 'BINSTRING'],
  [0x55, 'SHORT_BINSTRING'],
  [0x56, 'UNICODE'],
  [0x58, 'BINUNICODE'],
  [0x61, 'APPEND'],
  [0x62, 'BUILD'],
  [0x63, 'GLOBAL'],
  [0x64, 'DICT'],
  [0x7d, 'EMPTY_DICT'],
  [0x65, 'APPENDS'],
  [0x67, 'GET'],
  [0x68, 'BINGET'],
  [0x69, 'INST'],
  [0x6a, 'LONG_BINGET'],
  [0x6c, 'LIST'],
  [0x5d, 'EMPTY_LIST'],
  [0x6f, 'OBJ'],
  [0x70, 'PUT'],
  [0x71, 'BINPUT'],
  [0x72, 'LONG_BINPUT'],
  [0x73, 'SETITEM'],
  [0x74, 'TUPLE'],
  [0x29, 'EMPTY_TUPLE'],
  [0x75, 'SETITEMS'],
  [0x47, 'BINFLOAT'],
  [0x80, 'PROTO'],
  [0x81, 'NEWOBJ'],
  [0x82, 'EXT1'],
  [0x83, 'EXT2'],
  [0x84, 'EXT4'],
  [0x85, 'TUPLE1'],
  [0x86, 'TUPLE2'],
  [0x87, 'TUPLE3'],
  [0x88, 'NEWTRUE'],
  [0x89, 'NEWFALSE'],
  [0x8a, 'LONG1'],
  [0x8b, 'LONG4'],
  [0x42, 'BINBYTES'],
  [0x43, 'SHORT_BINBYTES'],
  [0x8c, 'SHORT_BINUNICODE'],
  [0x8d, 'BINUNICODE8'],
  [0x8e, 'BINBYTES8'],
  [0x8f, 'EMPTY_SET'],
  [0x90, 'ADDITEMS'],
  [0x91, 'FROZENSET'],
  [0x92, 'NEWOBJ_EX'],
  [0x93, 'STACK_GLOBAL'],
  [0x94, 'MEMOIZE'],
  [0x95, 'FRAME'],
  [0x96, 'BYTEARRAY8'],
  [0x97, 'NEXT_BUFFER'],
  [0x98, 'READONLY_BUFFER'],
]);

/** Longest integer (LONG4) accepted, in bytes; torch never writes more than 8. */
const MAX_LONG_BYTES = 1024;
/** Longest module or attribute name accepted in a GLOBAL line. */
const MAX_GLOBAL_LINE = 1024;
const MAX_DIMS = 64;
/**
 * Most values a pickle may push, and most memo entries it may hold. A state_dict's pickle makes
 * about 25 values per tensor (a full-size BagNet-33, 268 tensors: 6,644); these
 * bounds stop floods and bound the unpickler's own memory and time (a value costs at most ~100
 * bytes of heap: ~25 MB for a pickle at the limit) — a 17 MB file of MEMOIZE opcodes used to grow
 * the memo past V8's Map limit (16.7 M entries) and end in a RangeError after a gigabyte.
 */
export const MAX_PICKLE_VALUES = 250_000;
const MAX_VALUES = MAX_PICKLE_VALUES;
const MAX_MEMO = 250_000;

/**
 * Reads one pickle from `bytes` starting at `options.offset`.
 *
 * @throws {UnsafePickleError} for a global or opcode outside the allow-list.
 * @throws {CheckpointFormatError} for malformed or truncated data.
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions = {}): UnpickleResult {
  return new Unpickler(bytes, options).load();
}

class Unpickler {
  private readonly view: DataView;
  private pos: number;
  private opStart = 0;
  private opName = '';
  private stack: PickleValue[] = [];
  private readonly metastack: PickleValue[][] = [];
  private readonly memo = new Map<number, PickleValue>();
  private values = 0;
  /** Nesting depth of every container built so far (1 = holds no containers). */
  private readonly depths = new WeakMap<object, number>();
  /**
   * Containers that have been placed inside another container. They are frozen: were they still
   * allowed to grow, a container could deepen below its parents without their depth changing (a
   * list nested 100,000 deep, grown at the bottom through the memo). Pickle never needs this: it
   * fills a container before placing it, except in self-referencing data, which a state_dict never
   * holds.
   */
  private readonly placed = new WeakSet<object>();
  private readonly maxDepth: number;
  private readonly record: string | undefined;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = options.offset ?? 0;
    this.maxDepth = options.maxDepth ?? 1000;
    this.record = options.record;
  }

  load(): UnpickleResult {
    const bytes = this.bytes;
    if (this.pos >= bytes.length) {
      throw this.formatError(
        `expected a pickle at byte ${this.pos}${this.where()} but the data ends there; the file is truncated or empty`,
      );
    }
    for (;;) {
      this.opStart = this.pos;
      if (this.pos >= bytes.length) {
        throw this.formatError(
          `unexpected end of pickle data at byte ${this.pos}${this.where()} before the STOP opcode; the file is truncated or corrupt, download or save it again`,
        );
      }
      const op = bytes[this.pos++] as number;
      this.opName = OPCODE_NAMES.get(op) ?? `0x${op.toString(16).padStart(2, '0')}`;
      if (this.step(op)) {
        if (this.metastack.length !== 0) {
          throw this.formatError(`STOP at byte ${this.opStart}${this.where()} inside an open MARK`);
        }
        return { value: this.pop(), end: this.pos };
      }
    }
  }

  /** Executes one opcode; returns true on STOP. */
  private step(op: number): boolean {
    switch (op) {
      case 0x80: {
        // PROTO
        const version = this.u8();
        if (version < 2 || version > 5) {
          throw this.formatError(
            `pickle protocol ${version} at byte ${this.opStart}${this.where()} is not supported (expected 2 to 5, as torch.save writes)`,
          );
        }
        return false;
      }
      case 0x95: {
        // FRAME: only a length hint; the frame contents follow as ordinary opcodes.
        const length = this.u64();
        if (length > this.bytes.length - this.pos) {
          throw this.truncated(length);
        }
        return false;
      }
      case 0x2e: // STOP
        return true;

      // --- containers and marks -------------------------------------------------------
      case 0x28: // MARK
        if (this.metastack.length >= this.maxDepth) {
          throw this.formatError(
            `MARKs nested deeper than ${this.maxDepth} at byte ${this.opStart}${this.where()}; a state_dict never nests this deep, the file is corrupt or hostile`,
          );
        }
        this.metastack.push(this.stack);
        this.stack = [];
        return false;
      case 0x7d: // EMPTY_DICT
        this.push(this.container<PickleDict>(new Map()));
        return false;
      case 0x5d: // EMPTY_LIST
        this.push(this.container([]));
        return false;
      case 0x29: // EMPTY_TUPLE
        this.push(this.container(new PickleTuple([])));
        return false;
      case 0x8f: // EMPTY_SET
        this.push(this.container(new Set<PickleValue>()));
        return false;
      case 0x74: // TUPLE
        this.push(this.tuple(this.popMark()));
        return false;
      case 0x85: // TUPLE1
        this.push(this.tuple([this.pop()]));
        return false;
      case 0x86: {
        // TUPLE2
        const b = this.pop();
        const a = this.pop();
        this.push(this.tuple([a, b]));
        return false;
      }
      case 0x87: {
        // TUPLE3
        const c = this.pop();
        const b = this.pop();
        const a = this.pop();
        this.push(this.tuple([a, b, c]));
        return false;
      }
      case 0x6c: {
        // LIST
        const items = this.popMark();
        const list: PickleList = this.container([]);
        for (const item of items) this.addTo(list, item, () => list.push(item));
        this.push(list);
        return false;
      }
      case 0x64: {
        // DICT
        const items = this.popMark();
        const dict: PickleDict = this.container(new Map());
        this.setItems(dict, items);
        this.push(dict);
        return false;
      }
      case 0x91: {
        // FROZENSET
        const items = this.popMark();
        const set: PickleSet = this.container(new Set<PickleValue>());
        for (const item of items) this.addTo(set, item, () => set.add(item));
        this.push(set);
        return false;
      }
      case 0x61: {
        // APPEND
        const item = this.pop();
        const list = this.top();
        if (!Array.isArray(list)) throw this.typeError('a list', list);
        this.addTo(list, item, () => list.push(item));
        return false;
      }
      case 0x65: {
        // APPENDS
        const items = this.popMark();
        const list = this.top();
        if (!Array.isArray(list)) throw this.typeError('a list', list);
        for (const item of items) this.addTo(list, item, () => list.push(item));
        return false;
      }
      case 0x73: {
        // SETITEM
        const value = this.pop();
        const key = this.pop();
        const dict = this.top();
        if (!(dict instanceof Map)) throw this.typeError('a dict', dict);
        this.setItems(dict, [key, value]);
        return false;
      }
      case 0x75: {
        // SETITEMS
        const items = this.popMark();
        const dict = this.top();
        if (!(dict instanceof Map)) throw this.typeError('a dict', dict);
        this.setItems(dict, items);
        return false;
      }
      case 0x90: {
        // ADDITEMS
        const items = this.popMark();
        const set = this.top();
        if (!(set instanceof Set)) throw this.typeError('a set', set);
        for (const item of items) this.addTo(set, item, () => set.add(item));
        return false;
      }
      case 0x30: // POP
        if (this.stack.length > 0) this.stack.pop();
        else this.popMark();
        return false;
      case 0x31: // POP_MARK
        this.popMark();
        return false;
      case 0x32: // DUP
        this.push(this.top());
        return false;

      // --- scalars ----------------------------------------------------------------------
      case 0x4e: // NONE
        this.push(null);
        return false;
      case 0x88: // NEWTRUE
        this.push(true);
        return false;
      case 0x89: // NEWFALSE
        this.push(false);
        return false;
      case 0x4a: {
        // BININT
        this.need(4);
        this.push(this.view.getInt32(this.pos, true));
        this.pos += 4;
        return false;
      }
      case 0x4b: // BININT1
        this.push(this.u8());
        return false;
      case 0x4d: {
        // BININT2
        this.need(2);
        this.push(this.view.getUint16(this.pos, true));
        this.pos += 2;
        return false;
      }
      case 0x8a: // LONG1
        this.push(this.long(this.u8()));
        return false;
      case 0x8b: {
        // LONG4
        this.need(4);
        const n = this.view.getInt32(this.pos, true);
        this.pos += 4;
        if (n < 0 || n > MAX_LONG_BYTES) {
          throw this.formatError(
            `LONG4 at byte ${this.opStart}${this.where()} has length ${n}; integers of more than ${MAX_LONG_BYTES} bytes are not accepted`,
          );
        }
        this.push(this.long(n));
        return false;
      }
      case 0x47: {
        // BINFLOAT (big-endian IEEE 754 double)
        this.need(8);
        this.push(this.view.getFloat64(this.pos, false));
        this.pos += 8;
        return false;
      }

      // --- strings and bytes ------------------------------------------------------------
      case 0x58: // BINUNICODE
        this.push(this.utf8(this.u32()));
        return false;
      case 0x8c: // SHORT_BINUNICODE
        this.push(this.utf8(this.u8()));
        return false;
      case 0x8d: // BINUNICODE8
        this.push(this.utf8(this.u64()));
        return false;
      case 0x54: {
        // BINSTRING (Python 2 str; torch.load decodes it as UTF-8)
        this.need(4);
        const n = this.view.getInt32(this.pos, true);
        this.pos += 4;
        if (n < 0) throw this.formatError(`BINSTRING at byte ${this.opStart}${this.where()} has negative length ${n}`);
        this.push(this.utf8(n));
        return false;
      }
      case 0x55: // SHORT_BINSTRING
        this.push(this.utf8(this.u8()));
        return false;
      case 0x42: // BINBYTES
        this.push(this.take(this.u32()).slice());
        return false;
      case 0x43: // SHORT_BINBYTES
        this.push(this.take(this.u8()).slice());
        return false;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        this.push(this.take(this.u64()).slice());
        return false;

      // --- memo -------------------------------------------------------------------------
      case 0x71: // BINPUT
        this.memoPut(this.u8());
        return false;
      case 0x72: // LONG_BINPUT
        this.memoPut(this.u32());
        return false;
      case 0x94: // MEMOIZE
        this.memoPut(this.memo.size);
        return false;
      case 0x68: // BINGET
        this.push(this.memoGet(this.u8()));
        return false;
      case 0x6a: // LONG_BINGET
        this.push(this.memoGet(this.u32()));
        return false;

      // --- globals and object construction ----------------------------------------------
      case 0x63: {
        // GLOBAL
        const module = this.line();
        const name = this.line();
        this.push(this.global(module, name));
        return false;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = this.pop();
        const module = this.pop();
        if (typeof module !== 'string' || typeof name !== 'string') {
          throw this.formatError(
            `STACK_GLOBAL at byte ${this.opStart}${this.where()} expects two strings (module, name) on the stack`,
          );
        }
        this.push(this.global(module, name));
        return false;
      }
      case 0x52: {
        // REDUCE
        const args = this.pop();
        const callable = this.pop();
        this.push(this.call(callable, args));
        return false;
      }
      case 0x81: {
        // NEWOBJ
        const args = this.pop();
        const cls = this.pop();
        this.push(this.newObject(cls, args, null));
        return false;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = this.pop();
        const args = this.pop();
        const cls = this.pop();
        this.push(this.newObject(cls, args, kwargs));
        return false;
      }
      case 0x62: {
        // BUILD
        const state = this.pop();
        const target = this.top();
        this.build(target, state);
        return false;
      }
      case 0x51: {
        // BINPERSID
        const pid = this.pop();
        this.push(this.persistent(pid));
        return false;
      }
      case 0x50: // PERSID
        this.push(this.persistent(this.line()));
        return false;

      // --- refused ----------------------------------------------------------------------
      case 0x69: // INST
      case 0x6f: // OBJ
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: // EXT4
        throw new UnsafePickleError(
          `refused opcode ${this.opName} at byte ${this.opStart}${this.where()}: it constructs arbitrary Python objects and is never used for a state_dict. Nothing was executed. The file is not a plain torch.save of a state_dict; re-save it with torch.save(model.state_dict(), path) in a trusted environment.`,
          { opcode: this.opName, offset: this.opStart, record: this.record },
        );
      case 0x97: // NEXT_BUFFER
      case 0x98: // READONLY_BUFFER
        throw this.formatError(
          `opcode ${this.opName} at byte ${this.opStart}${this.where()} needs out-of-band buffers, which a checkpoint file cannot carry`,
        );
      default:
        if (OPCODE_NAMES.has(op)) {
          throw this.formatError(
            `protocol 0/1 text opcode ${this.opName} at byte ${this.opStart}${this.where()} is not supported; torch.save writes protocol 2 or higher, re-save the checkpoint with torch.save`,
          );
        }
        throw this.formatError(
          `unknown pickle opcode ${this.opName} at byte ${this.opStart}${this.where()}; the file is corrupt or not a PyTorch checkpoint`,
        );
    }
  }

  // --- allow-listed semantics ------------------------------------------------------------

  private global(module: string, name: string): PickleObject {
    const resolved = resolveGlobal(module, name);
    if (resolved === undefined) {
      const qualifiedName = `${module}.${name}`;
      throw new UnsafePickleError(
        `refused global '${printable(qualifiedName)}' (${this.opName} at byte ${this.opStart}${this.where()}): it is not on the allow-list of what a PyTorch state_dict needs. Nothing was imported or executed. If this is a whole pickled model or training object, re-save only the weights with torch.save(model.state_dict(), path) in a trusted environment; otherwise do not use this file.`,
        { global: qualifiedName, opcode: this.opName, offset: this.opStart, record: this.record },
      );
    }
    return resolved;
  }

  private call(callable: PickleValue, argsValue: PickleValue): PickleValue {
    if (!(callable instanceof PickleCallable)) {
      const what = callable instanceof PickleObject ? callable.describe() : describeValue(callable);
      throw new UnsafePickleError(
        `refused REDUCE at byte ${this.opStart}${this.where()}: '${printable(what)}' is not an allow-listed callable. Nothing was executed. The file is not a plain torch.save of a state_dict.`,
        {
          global: callable instanceof PickleObject ? what : undefined,
          opcode: 'REDUCE',
          offset: this.opStart,
          record: this.record,
        },
      );
    }
    if (!(argsValue instanceof PickleTuple)) throw this.typeError('an argument tuple', argsValue);
    const args = argsValue.items;
    switch (callable.qualifiedName) {
      case ORDERED_DICT:
        return this.orderedDict(args);
      case REBUILD_TENSOR_V2:
        // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        if (args.length !== 6 && args.length !== 7) throw this.arity(callable, '6 or 7', args.length);
        return this.tensor(args, args[4]);
      case REBUILD_TENSOR:
        // (storage, storage_offset, size, stride)
        if (args.length !== 4) throw this.arity(callable, '4', args.length);
        return this.tensor(args, false);
      case REBUILD_PARAMETER: {
        // (data, requires_grad, backward_hooks)
        if (args.length !== 3) throw this.arity(callable, '3', args.length);
        const data = args[0];
        if (!(data instanceof TorchTensorRef)) throw this.typeError('a tensor', data ?? null);
        return new TorchTensorRef(data.storage, data.storageOffset, data.shape, data.stride, args[1] === true, true);
      }
      default:
        throw new UnsafePickleError(`'${callable.qualifiedName}' cannot be called`, {
          global: callable.qualifiedName,
          opcode: 'REDUCE',
          offset: this.opStart,
          record: this.record,
        });
    }
  }

  private orderedDict(args: readonly PickleValue[]): PickleDict {
    const dict: PickleDict = this.container(new Map());
    if (args.length === 0) return dict;
    // Python 2 pickles OrderedDict as OrderedDict([[key, value], ...]).
    const items = args[0];
    if (args.length !== 1 || !Array.isArray(items)) {
      throw this.formatError(
        `collections.OrderedDict at byte ${this.opStart}${this.where()} called with unexpected arguments`,
      );
    }
    for (const pair of items) {
      const kv = pair instanceof PickleTuple ? pair.items : pair;
      if (!Array.isArray(kv) || kv.length !== 2) throw this.typeError('a (key, value) pair', pair);
      this.setItems(dict, kv);
    }
    return dict;
  }

  private tensor(args: readonly PickleValue[], requiresGrad: PickleValue | undefined): TorchTensorRef {
    const storage = args[0] ?? null;
    const offset = args[1];
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
      throw this.formatError(
        `tensor at byte ${this.opStart}${this.where()} has storage offset ${describeValue(offset ?? null)}; expected an integer >= 0`,
      );
    }
    const shape = this.intTuple(args[2] ?? null, 'size');
    const stride = this.intTuple(args[3] ?? null, 'stride');
    if (shape.length !== stride.length) {
      throw this.formatError(
        `tensor at byte ${this.opStart}${this.where()} has ${shape.length} sizes but ${stride.length} strides`,
      );
    }
    return new TorchTensorRef(storage, offset, shape, stride, requiresGrad === true, false);
  }

  private intTuple(value: PickleValue, what: string): number[] {
    const items = value instanceof PickleTuple ? value.items : Array.isArray(value) ? value : undefined;
    if (items === undefined || items.length > MAX_DIMS) {
      throw this.formatError(
        `tensor ${what} at byte ${this.opStart}${this.where()} is ${describeValue(value)}; expected a tuple of at most ${MAX_DIMS} integers`,
      );
    }
    return items.map((v) => {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
        throw this.formatError(
          `tensor ${what} at byte ${this.opStart}${this.where()} contains ${describeValue(v)}; expected integers >= 0`,
        );
      }
      return v;
    });
  }

  private newObject(cls: PickleValue, args: PickleValue, kwargs: PickleValue): PickleValue {
    if (cls instanceof PickleCallable && cls.qualifiedName === ORDERED_DICT) {
      const emptyArgs = args instanceof PickleTuple && args.length === 0;
      const emptyKwargs = kwargs === null || (kwargs instanceof Map && kwargs.size === 0);
      if (emptyArgs && emptyKwargs) return this.container(new Map());
    }
    const what = cls instanceof PickleObject ? cls.describe() : describeValue(cls);
    throw new UnsafePickleError(
      `refused ${this.opName} at byte ${this.opStart}${this.where()}: constructing '${printable(what)}' this way is not allowed. Nothing was executed.`,
      {
        global: cls instanceof PickleObject ? what : undefined,
        opcode: this.opName,
        offset: this.opStart,
        record: this.record,
      },
    );
  }

  private build(target: PickleValue, state: PickleValue): void {
    // torch.save(model.state_dict()) pickles the OrderedDict's `_metadata` attribute as
    // BUILD state. Attributes of a dict carry no tensors; keep the data, drop the state.
    if (target instanceof Map && (state === null || state instanceof Map || state instanceof PickleTuple)) {
      return;
    }
    const what = target instanceof PickleObject ? target.describe() : describeValue(target);
    throw new UnsafePickleError(
      `refused BUILD at byte ${this.opStart}${this.where()}: setting the state of '${printable(what)}' is not allowed. Nothing was executed.`,
      { opcode: 'BUILD', offset: this.opStart, record: this.record },
    );
  }

  private persistent(pid: PickleValue): PickleValue {
    const load = this.options.persistentLoad;
    if (load === undefined) {
      throw this.formatError(
        `persistent id at byte ${this.opStart}${this.where()} in a pickle that should not reference external data`,
      );
    }
    return load(pid, this.opStart);
  }

  // --- stack helpers -------------------------------------------------------------------

  private push(value: PickleValue): void {
    if (++this.values > MAX_VALUES) {
      throw this.formatError(
        `more than ${MAX_VALUES} values by byte ${this.opStart}${this.where()}; a state_dict needs far fewer, the file is corrupt or hostile`,
      );
    }
    this.stack.push(value);
  }

  private pop(): PickleValue {
    if (this.stack.length === 0) throw this.underflow();
    return this.stack.pop() as PickleValue;
  }

  private top(): PickleValue {
    if (this.stack.length === 0) throw this.underflow();
    return this.stack[this.stack.length - 1] as PickleValue;
  }

  private popMark(): PickleValue[] {
    const items = this.stack;
    const previous = this.metastack.pop();
    if (previous === undefined) {
      throw this.formatError(`${this.opName} at byte ${this.opStart}${this.where()} without a matching MARK`);
    }
    this.stack = previous;
    return items;
  }

  private memoPut(index: number): void {
    const value = this.top();
    if (this.memo.size >= MAX_MEMO && !this.memo.has(index)) {
      throw this.formatError(
        `more than ${MAX_MEMO} memo entries by byte ${this.opStart}${this.where()}; a state_dict needs far fewer, the file is corrupt or hostile`,
      );
    }
    this.memo.set(index, value);
  }

  private memoGet(index: number): PickleValue {
    if (!this.memo.has(index)) {
      throw this.formatError(
        `${this.opName} at byte ${this.opStart}${this.where()} refers to memo entry ${index}, which was never stored`,
      );
    }
    return this.memo.get(index) as PickleValue;
  }

  // --- depth bookkeeping ---------------------------------------------------------------

  /** A new container: depth 1 until something deeper is placed in it (leaves cost no entry). */
  private container<T extends object>(value: T): T {
    return value;
  }

  private depthOf(value: PickleValue): number {
    return typeof value === 'object' && value !== null ? (this.depths.get(value) ?? 1) : 0;
  }

  /** Records that `item` goes into `container`, enforcing `maxDepth`, then runs `insert`. */
  private addTo(container: object, item: PickleValue, insert: () => void): void {
    if (this.placed.has(container)) {
      throw this.formatError(
        `${this.opName} at byte ${this.opStart}${this.where()} changes a container that already sits inside another one; torch.save never writes this (it fills a container before placing it), the file is corrupt or hostile`,
      );
    }
    if (Array.isArray(item) || item instanceof Map || item instanceof Set) this.placed.add(item);
    const depth = this.depthOf(item) + 1;
    if (depth > (this.depths.get(container) ?? 1)) {
      if (depth > this.maxDepth) {
        throw this.formatError(
          `containers nested deeper than ${this.maxDepth} at byte ${this.opStart}${this.where()}; a state_dict never nests this deep, the file is corrupt or hostile`,
        );
      }
      this.depths.set(container, depth);
    }
    insert();
  }

  private tuple(items: readonly PickleValue[]): PickleTuple {
    const tuple = this.container(new PickleTuple(items));
    for (const item of items) this.addTo(tuple, item, () => undefined);
    return tuple;
  }

  private setItems(dict: PickleDict, items: readonly PickleValue[]): void {
    if (items.length % 2 !== 0) {
      throw this.formatError(`${this.opName} at byte ${this.opStart}${this.where()} has an odd number of items`);
    }
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i] as PickleValue;
      const value = items[i + 1] as PickleValue;
      this.addTo(dict, key, () => undefined);
      this.addTo(dict, value, () => dict.set(key, value));
    }
  }

  // --- readers ---------------------------------------------------------------------------

  private need(n: number): void {
    if (n > this.bytes.length - this.pos) throw this.truncated(n);
  }

  private u8(): number {
    this.need(1);
    return this.bytes[this.pos++] as number;
  }

  private u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  private u64(): number {
    this.need(8);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    if (hi >= 0x200000) {
      throw this.formatError(
        `${this.opName} at byte ${this.opStart}${this.where()} declares a length of more than 2^53 bytes; the file is corrupt`,
      );
    }
    return hi * 0x100000000 + lo;
  }

  private take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private utf8(n: number): string {
    return decodeUtf8(this.take(n));
  }

  private line(): string {
    const start = this.pos;
    const limit = Math.min(this.bytes.length, start + MAX_GLOBAL_LINE);
    for (let i = start; i < limit; i++) {
      if (this.bytes[i] === 0x0a) {
        this.pos = i + 1;
        return decodeUtf8(this.bytes.subarray(start, i));
      }
    }
    if (limit === this.bytes.length) throw this.truncated(limit - start + 1);
    throw this.formatError(
      `${this.opName} at byte ${this.opStart}${this.where()} has no newline within ${MAX_GLOBAL_LINE} bytes; the file is corrupt`,
    );
  }

  private long(n: number): number | bigint {
    const b = this.take(n);
    if (n === 0) return 0;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
    if (((b[n - 1] as number) & 0x80) !== 0) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  // --- errors ------------------------------------------------------------------------------

  private where(): string {
    return this.record === undefined ? '' : ` of ${this.record}`;
  }

  private formatError(message: string): CheckpointFormatError {
    return new CheckpointFormatError(`Invalid pickle: ${message}.`, { offset: this.opStart, record: this.record });
  }

  private truncated(n: number): CheckpointFormatError {
    return new CheckpointFormatError(
      `Invalid pickle: unexpected end of data at byte ${this.pos}${this.where()}: ${this.opName} (at byte ${this.opStart}) needs ${n} more bytes but ${Math.max(0, this.bytes.length - this.pos)} remain. The file is truncated or corrupt; download or save it again.`,
      { offset: this.pos, record: this.record },
    );
  }

  private underflow(): CheckpointFormatError {
    return this.formatError(`${this.opName} at byte ${this.opStart}${this.where()} pops from an empty stack`);
  }

  private typeError(expected: string, got: PickleValue): CheckpointFormatError {
    return this.formatError(
      `${this.opName} at byte ${this.opStart}${this.where()} expects ${expected} but found ${describeValue(got)}`,
    );
  }

  private arity(callable: PickleCallable, expected: string, got: number): CheckpointFormatError {
    return this.formatError(
      `${callable.qualifiedName} at byte ${this.opStart}${this.where()} called with ${got} arguments, expected ${expected}`,
    );
  }
}

/** A short, non-recursive description of a value for error messages. */
export function describeValue(value: PickleValue): string {
  if (value === null) return 'None';
  if (typeof value === 'string') return value.length > 40 ? `str '${value.slice(0, 40)}...'` : `str '${value}'`;
  if (typeof value === 'number' || typeof value === 'bigint') return `${value}`;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value instanceof Uint8Array) return `bytes of length ${value.length}`;
  if (Array.isArray(value)) return `list of length ${value.length}`;
  if (value instanceof PickleTuple) return `tuple of length ${value.length}`;
  if (value instanceof Map) return `dict of size ${value.size}`;
  if (value instanceof Set) return `set of size ${value.size}`;
  return value.describe();
}

/**
 * UTF-8 decoder (lenient: malformed sequences become U+FFFD, encoded surrogates are kept,
 * as Python's 'surrogatepass' does). Written out so the package needs no TextDecoder.
 */
export function decodeUtf8(b: Uint8Array): string {
  let out = '';
  let chunk: number[] = [];
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i] as number;
    let cp = 0xfffd;
    let len = 1;
    if (c < 0x80) {
      cp = c;
    } else if (c >= 0xc2 && c < 0xe0 && i + 1 < n && isCont(b[i + 1])) {
      cp = ((c & 0x1f) << 6) | ((b[i + 1] as number) & 0x3f);
      len = 2;
    } else if (c >= 0xe0 && c < 0xf0 && i + 2 < n && isCont(b[i + 1]) && isCont(b[i + 2])) {
      cp = ((c & 0x0f) << 12) | (((b[i + 1] as number) & 0x3f) << 6) | ((b[i + 2] as number) & 0x3f);
      len = 3;
      if (cp < 0x800) cp = 0xfffd;
    } else if (c >= 0xf0 && c < 0xf5 && i + 3 < n && isCont(b[i + 1]) && isCont(b[i + 2]) && isCont(b[i + 3])) {
      cp =
        ((c & 0x07) << 18) |
        (((b[i + 1] as number) & 0x3f) << 12) |
        (((b[i + 2] as number) & 0x3f) << 6) |
        ((b[i + 3] as number) & 0x3f);
      len = 4;
      if (cp < 0x10000 || cp > 0x10ffff) cp = 0xfffd;
    }
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      chunk.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else {
      chunk.push(cp);
    }
    if (chunk.length >= 4096) {
      out += String.fromCharCode(...chunk);
      chunk = [];
    }
  }
  return out + String.fromCharCode(...chunk);
}

function isCont(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}
