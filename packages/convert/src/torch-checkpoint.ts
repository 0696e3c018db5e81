/**
 * Reads PyTorch checkpoints (`torch.save` of a state_dict) without Python and without
 * executing anything from the file.
 *
 * Two serializations are supported:
 * - legacy (torch < 1.6, and `_use_new_zipfile_serialization=False`): pickled magic number,
 *   protocol version and sys_info, the main pickle (storages as persistent ids
 *   `('storage', storage_type, key, location, numel, view_metadata)`), the pickled list of
 *   storage keys, then for every key an 8-byte little-endian element count and the raw
 *   bytes;
 * - zip (torch >= 1.6): `<archive>/data.pkl` (persistent ids
 *   `('storage', storage_type, key, location, numel)`) and one record `<archive>/data/<key>`
 *   per storage.
 *
 * The input is a `Uint8Array`; nothing here needs the DOM or Node.
 */
import { ELEMENT_SIZE } from './dtype.js';
import type { TorchDType } from './dtype.js';
import { CheckpointBudgetError, CheckpointFormatError, printable } from './errors.js';
import { PickleObject, PickleTuple, TorchStorageType, TorchTensorRef, describeValue, unpickle } from './pickle.js';
import type { PickleDict, PickleValue } from './pickle.js';
import { ZipArchive } from './zip.js';

export type { TorchDType } from './dtype.js';

/** One tensor of a state_dict, read into host memory. */
export interface TorchTensor {
  readonly shape: readonly number[];
  /** Element type in the file. */
  readonly dtype: TorchDType;
  /** Values converted to float32 (int64 via Number) in C order, honouring storage offset and strides. */
  readonly data: Float32Array;
}

/** State_dict key (after unwrapping and prefix stripping) to tensor, in file order. */
export type StateDict = Map<string, TorchTensor>;

/** Options of {@link readTorchCheckpoint} and {@link inspectTorchCheckpoint}. */
export interface ReadTorchCheckpointOptions {
  /** Name of the file, used in error messages. */
  readonly fileName?: string;
  /**
   * Most bytes the reader may allocate for tensor data: inflated zip records (data.pkl and the
   * storages the state_dict uses) plus the float32 tensors it returns. Default
   * {@link DEFAULT_MAX_CHECKPOINT_BYTES} (512 MiB: seven times a full-size BagNet-33). Exceeding it is
   * a `CheckpointBudgetError`, raised before the allocation.
   */
  readonly maxBytes?: number;
  /**
   * Called after each distinct tensor is read as float32 (`done` of `total`; a view shared by
   * several keys counts once). For progress bars; the reader is synchronous, so it cannot be
   * cancelled from here — run it in a worker (`CheckpointConverter`) to cancel.
   */
  readonly onTensor?: (done: number, total: number) => void;
}

/** Default of {@link ReadTorchCheckpointOptions.maxBytes}: 512 MiB. */
export const DEFAULT_MAX_CHECKPOINT_BYTES = 512 * 1024 * 1024;

/** Wrapper keys under which training scripts store the state_dict. */
export type StateDictWrapperKey = 'state_dict' | 'model' | 'model_state_dict';

/** A state_dict and what was found on the way to it. */
export interface TorchCheckpointInfo {
  readonly stateDict: StateDict;
  /** `'zip'` for torch >= 1.6 files, `'legacy'` for the older format. */
  readonly format: 'legacy' | 'zip';
  /** Key of the dict that wrapped the state_dict (`{'state_dict': ...}`), or null. */
  readonly wrapperKey: StateDictWrapperKey | null;
  /** Whether every key had a `module.` prefix (nn.DataParallel), which was stripped. */
  readonly modulePrefix: boolean;
  /** Whether `*.num_batches_tracked` entries existed; they are not in `stateDict`. */
  readonly hadNumBatchesTracked: boolean;
  /** Distinct storage locations recorded in the file (e.g. `'cpu'`, `'cuda:0'`); all are read on the CPU. */
  readonly locations: readonly string[];
}

/** Reads the state_dict of a PyTorch checkpoint. See {@link inspectTorchCheckpoint}. */
export function readTorchCheckpoint(bytes: Uint8Array, opts: ReadTorchCheckpointOptions = {}): StateDict {
  return inspectTorchCheckpoint(bytes, opts).stateDict;
}

/**
 * Reads a PyTorch checkpoint and reports how its state_dict was stored.
 *
 * Unwraps `{'state_dict': ...}` (also `'model'` and `'model_state_dict'`), strips a
 * `module.` prefix present on every key, drops `num_batches_tracked` entries, reads
 * `cuda:*` storages on the CPU and converts every tensor to float32.
 *
 * @throws {CheckpointFormatError} when the bytes are not a readable checkpoint.
 * @throws {UnsafePickleError} when the pickle refers to anything a state_dict does not need.
 */
export function inspectTorchCheckpoint(bytes: Uint8Array, opts: ReadTorchCheckpointOptions = {}): TorchCheckpointInfo {
  const file = opts.fileName === undefined ? 'the checkpoint' : `'${opts.fileName}'`;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_CHECKPOINT_BYTES;
  if (!(maxBytes >= 0)) throw new RangeError(`maxBytes must be a number >= 0, got ${maxBytes}`);
  const budget = new Budget(maxBytes, file);
  const kind = sniff(bytes, file);
  const loaded = kind === 'zip' ? readZip(bytes, file, budget) : readLegacy(bytes, file);
  return buildStateDict(loaded, file, budget, opts.onTensor);
}

/** Counts the bytes the reader allocates against `maxBytes`. */
class Budget {
  private used = 0;

  constructor(
    readonly limit: number,
    private readonly file: string,
  ) {}

  /** Reserves `n` bytes for `what`, or throws before anything is allocated. */
  charge(n: number, what: string): void {
    if (n > this.limit - this.used) {
      throw new CheckpointBudgetError(
        `${this.file}: ${what} needs ${n} bytes, but only ${this.limit - this.used} of the reader's ${this.limit}-byte budget (option maxBytes) remain; a BagNet-33 needs about 73 MB. The file is hostile or far larger than a BagNet.`,
        { limit: this.limit, requested: n },
      );
    }
    this.used += n;
  }
}

// ---------------------------------------------------------------------------------------
// Storages
// ---------------------------------------------------------------------------------------

/** What the persistent id of a storage resolves to. */
class StorageRef extends PickleObject {
  constructor(
    /** Key of the storage holding the bytes. */
    readonly rootKey: string,
    readonly dtype: TorchDType,
    readonly location: string,
    /** Offset of this (view of the) storage into the root, in elements (legacy views only). */
    readonly viewOffset: number,
    /** Elements in this (view of the) storage, or null when it is the whole root. */
    readonly viewNumel: number | null,
  ) {
    super();
  }

  describe(): string {
    return `storage '${this.rootKey}'`;
  }
}

interface StorageDecl {
  readonly dtype: TorchDType;
  readonly numel: number;
}

interface LoadedCheckpoint {
  readonly format: 'legacy' | 'zip';
  readonly root: PickleValue;
  /** Every root storage the pickle declared. */
  readonly decls: ReadonlyMap<string, StorageDecl>;
  /** The bytes of a declared root storage (read, or inflated, only when asked for). */
  readonly storageBytes: (key: string) => Uint8Array;
  readonly littleEndian: boolean;
  readonly locations: ReadonlySet<string>;
}

/** persistentLoad for torch's storage ids; registers each root storage in `decls`. */
function storageLoader(
  decls: Map<string, StorageDecl>,
  locations: Set<string>,
  record: string,
): (pid: PickleValue, offset: number) => PickleValue {
  return (pid, offset) => {
    const fail = (what: string): CheckpointFormatError =>
      new CheckpointFormatError(
        `Invalid checkpoint: persistent id at byte ${offset} of ${record} ${what}; expected ('storage', storage_type, key, location, numel[, view_metadata]).`,
        { offset, record },
      );
    if (!(pid instanceof PickleTuple)) throw fail(`is ${describeValue(pid)}`);
    const [typename, storageType, key, location, numel, viewMetadata] = pid.items.map(asciiIfBytes);
    if (pid.length !== 5 && pid.length !== 6) throw fail(`has ${pid.length} items`);
    if (typename !== 'storage') {
      throw fail(
        typename === 'module'
          ? 'is a pickled nn.Module class: the file holds a whole model, save model.state_dict() instead'
          : `has type ${describeValue(typename ?? null)}`,
      );
    }
    if (!(storageType instanceof TorchStorageType))
      throw fail(`has storage type ${describeValue(storageType ?? null)}`);
    if (typeof key !== 'string') throw fail(`has key ${describeValue(key ?? null)}`);
    if (typeof location !== 'string') throw fail(`has location ${describeValue(location ?? null)}`);
    if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) {
      throw fail(`has element count ${describeValue(numel ?? null)}`);
    }
    const dtype = storageType.dtype;
    const known = decls.get(key);
    if (known === undefined) decls.set(key, { dtype, numel });
    else if (known.dtype !== dtype || known.numel !== numel) {
      throw fail(`declares storage '${printable(key)}' as ${numel} x ${dtype} after ${known.numel} x ${known.dtype}`);
    }
    locations.add(location);
    if (viewMetadata === undefined || viewMetadata === null) {
      return new StorageRef(key, dtype, location, 0, null);
    }
    // Storage views (torch < 1.x): (view_key, offset, size), offset and size in elements.
    const view = viewMetadata instanceof PickleTuple ? viewMetadata.items : [];
    const viewOffset = view[1];
    const viewNumel = view[2];
    if (
      view.length !== 3 ||
      typeof viewOffset !== 'number' ||
      typeof viewNumel !== 'number' ||
      !Number.isSafeInteger(viewOffset) ||
      !Number.isSafeInteger(viewNumel) ||
      viewOffset < 0 ||
      viewNumel < 0 ||
      viewOffset + viewNumel > numel
    ) {
      throw fail(`has view metadata ${describeValue(viewMetadata)} outside its ${numel}-element storage`);
    }
    return new StorageRef(key, dtype, location, viewOffset, viewNumel);
  };
}

function asciiIfBytes(value: PickleValue): PickleValue {
  // Python 2 files loaded with encoding='bytes' keep torch's internal strings as bytes.
  return value instanceof Uint8Array ? String.fromCharCode(...value.subarray(0, 256)) : value;
}

// ---------------------------------------------------------------------------------------
// Container formats
// ---------------------------------------------------------------------------------------

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL_VERSION = 1001;

function sniff(bytes: Uint8Array, file: string): 'zip' | 'legacy' {
  const at = (i: number): number => bytes[i] ?? -1;
  const ascii = (start: number, end: number): string => String.fromCharCode(...bytes.subarray(start, end));
  if (bytes.length === 0) {
    throw new CheckpointFormatError(`${file} is empty (0 bytes); download or save it again.`, { offset: 0 });
  }
  if (at(0) === 0x50 && at(1) === 0x4b) return 'zip';
  if (at(0) === 0x80) return 'legacy';
  let what = `starts with bytes ${[...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`;
  if (bytes.length > 262 && ascii(257, 262) === 'ustar') {
    what = 'is a tar archive: the pre-0.1.10 torch format is not supported; load it with torch and re-save it';
  } else if (at(0) === 0x1f && at(1) === 0x8b) what = 'is gzip-compressed; decompress it first';
  else if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') what = 'is a PNG image';
  else if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) what = 'is a JPEG image';
  else if (ascii(0, 4) === '\x89HDF') {
    what =
      'is an HDF5 file (a Keras .h5 model?); Keras BagNets are not supported, convert the PyTorch checkpoint of the same model (bagnet8/16/32-*.pth.tar) instead';
  } else if (ascii(0, 6) === '\x93NUMPY') what = 'is a NumPy .npy file';
  else if (bytes.length > 9 && at(8) === 0x7b && at(6) === 0 && at(7) === 0) what = 'looks like a safetensors file';
  throw new CheckpointFormatError(
    `${file} is not a PyTorch checkpoint: it ${what}. Expected a zip archive ('PK', torch >= 1.6) or a pickle (byte 0x80, legacy torch.save).`,
    { offset: 0 },
  );
}

function readLegacy(bytes: Uint8Array, file: string): LoadedCheckpoint {
  const magic = unpickle(bytes, { offset: 0, record: `the magic number pickle of ${file}` });
  if (magic.value !== LEGACY_MAGIC) {
    throw new CheckpointFormatError(
      `${file} is not a PyTorch checkpoint: it is a pickle, but not one written by torch.save (no magic number at byte 0). Only torch.save files are supported.`,
      { offset: 0 },
    );
  }
  const protocol = unpickle(bytes, { offset: magic.end, record: `the protocol version pickle of ${file}` });
  if (protocol.value !== LEGACY_PROTOCOL_VERSION) {
    throw new CheckpointFormatError(
      `${file}: unsupported torch serialization protocol ${describeValue(protocol.value)} at byte ${magic.end} (expected ${LEGACY_PROTOCOL_VERSION}).`,
      { offset: magic.end },
    );
  }
  const sysInfo = unpickle(bytes, { offset: protocol.end, record: `the sys_info pickle of ${file}` });
  const littleEndian = !(sysInfo.value instanceof Map && sysInfo.value.get('little_endian') === false);

  const decls = new Map<string, StorageDecl>();
  const locations = new Set<string>();
  const mainRecord = `the main pickle of ${file}`;
  const main = unpickle(bytes, {
    offset: sysInfo.end,
    record: mainRecord,
    persistentLoad: storageLoader(decls, locations, mainRecord),
  });
  const keysRecord = `the storage key list of ${file}`;
  const keys = unpickle(bytes, { offset: main.end, record: keysRecord });
  if (!Array.isArray(keys.value)) {
    throw new CheckpointFormatError(
      `${file}: the storage key list at byte ${main.end} is ${describeValue(keys.value)}, not a list; the file is corrupt.`,
      { offset: main.end, record: keysRecord },
    );
  }

  const records = new Map<string, Uint8Array>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keys.end;
  for (const item of keys.value) {
    const key = asciiIfBytes(item);
    if (typeof key !== 'string') {
      throw new CheckpointFormatError(
        `${file}: storage key list contains ${describeValue(item)}; the file is corrupt.`,
        {
          offset: main.end,
          record: keysRecord,
        },
      );
    }
    const decl = decls.get(key);
    if (decl === undefined) {
      throw new CheckpointFormatError(
        `${file}: storage '${printable(key)}' is listed at byte ${keys.end} but no tensor refers to it; the file is corrupt.`,
        { offset: keys.end, record: `storage '${printable(key)}'` },
      );
    }
    if (pos + 8 > bytes.length) throw truncatedStorage(file, key, pos, 8, bytes.length - pos);
    const lo = view.getUint32(pos, true);
    const hi = view.getUint32(pos + 4, true);
    const count = hi * 0x100000000 + lo;
    if (count !== decl.numel) {
      throw new CheckpointFormatError(
        `${file}: storage '${printable(key)}' at byte ${pos} holds ${count} elements but the pickle declared ${decl.numel}; the file is corrupt.`,
        { offset: pos, record: `storage '${printable(key)}'` },
      );
    }
    const nbytes = count * ELEMENT_SIZE[decl.dtype];
    if (nbytes > bytes.length - pos - 8) throw truncatedStorage(file, key, pos + 8, nbytes, bytes.length - pos - 8);
    records.set(key, bytes.subarray(pos + 8, pos + 8 + nbytes));
    pos += 8 + nbytes;
  }
  for (const key of decls.keys()) {
    if (!records.has(key)) {
      throw new CheckpointFormatError(
        `${file}: storage '${printable(key)}' is used by a tensor but missing from the storage key list at byte ${main.end}; the file is corrupt.`,
        { offset: main.end, record: `storage '${printable(key)}'` },
      );
    }
  }
  return {
    format: 'legacy',
    root: main.value,
    decls,
    storageBytes: (key) => records.get(key) as Uint8Array,
    littleEndian,
    locations,
  };
}

function truncatedStorage(
  file: string,
  key: string,
  offset: number,
  need: number,
  have: number,
): CheckpointFormatError {
  return new CheckpointFormatError(
    `${file} is truncated: storage '${printable(key)}' at byte ${offset} needs ${need} bytes but only ${Math.max(0, have)} remain. Download or save the file again.`,
    { offset, record: `storage '${printable(key)}'` },
  );
}

function readZip(bytes: Uint8Array, file: string, budget: Budget): LoadedCheckpoint {
  // The central directory only; no record is inflated until it is needed.
  const zip = new ZipArchive(bytes, (what, cause) => zipError(file, what, cause));
  const names = zip.names;
  const pickles = names.filter((n) => n === 'data.pkl' || n.endsWith('/data.pkl')).sort((a, b) => a.length - b.length);
  const pkl = pickles[0];
  if (pkl === undefined) {
    throw zipError(
      file,
      `it has no data.pkl record (entries: ${
        names
          .slice(0, 5)
          .map((n) => `'${printable(n, 60)}'`)
          .join(', ') || 'none'
      }${names.length > 5 ? `, and ${names.length - 5} more` : ''}); it is not a torch.save archive`,
    );
  }
  const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
  if (zip.has(`${prefix}constants.pkl`) || names.some((n) => n.startsWith(`${prefix}code/`))) {
    throw zipError(
      file,
      'it is a TorchScript archive (torch.jit.save); save the weights with torch.save(model.state_dict(), path) instead',
    );
  }

  const byteorderSize = zip.has(`${prefix}byteorder`) ? zip.entry(`${prefix}byteorder`).originalSize : 0;
  const byteorder = byteorderSize > 0 && byteorderSize <= 16 ? zip.read(`${prefix}byteorder`) : undefined;
  const littleEndian = byteorder === undefined || String.fromCharCode(...byteorder) !== 'big';
  const pklEntry = zip.entry(pkl);
  if (pklEntry.compression !== 0) budget.charge(pklEntry.originalSize, `record '${printable(pkl)}'`);
  const decls = new Map<string, StorageDecl>();
  const locations = new Set<string>();
  const main = unpickle(zip.read(pkl), {
    record: pkl,
    persistentLoad: storageLoader(decls, locations, pkl),
  });
  const dataPrefix = `${prefix}data/`;
  for (const [key, decl] of decls) {
    const name = dataPrefix + key;
    if (!zip.has(name)) {
      throw new CheckpointFormatError(
        `${file}: record '${printable(name)}' is missing from the archive; the file is truncated or corrupt.`,
        { record: printable(name) },
      );
    }
    const size = zip.entry(name).originalSize;
    const nbytes = decl.numel * ELEMENT_SIZE[decl.dtype];
    if (size !== nbytes) {
      throw new CheckpointFormatError(
        `${file}: record '${printable(name)}' holds ${size} bytes but the pickle declares storage '${printable(key)}' as ${decl.numel} x ${decl.dtype} (${nbytes} bytes); the file is corrupt.`,
        { record: printable(name) },
      );
    }
  }
  const inflated = new Map<string, Uint8Array>();
  return {
    format: 'zip',
    root: main.value,
    decls,
    storageBytes: (key) => {
      let data = inflated.get(key);
      if (data === undefined) {
        const name = dataPrefix + key;
        const entry = zip.entry(name);
        if (entry.compression !== 0) budget.charge(entry.originalSize, `storage record '${printable(name)}'`);
        data = zip.read(name);
        inflated.set(key, data);
      }
      return data;
    },
    littleEndian,
    locations,
  };
}

function zipError(file: string, what: string, cause?: unknown): CheckpointFormatError {
  return new CheckpointFormatError(`${file} cannot be read: ${what}.`, {}, cause === undefined ? undefined : { cause });
}

// ---------------------------------------------------------------------------------------
// State dict
// ---------------------------------------------------------------------------------------

const WRAPPER_KEYS: readonly StateDictWrapperKey[] = ['state_dict', 'model', 'model_state_dict'];
const MODULE_PREFIX = 'module.';
const NUM_BATCHES_TRACKED = 'num_batches_tracked';

function buildStateDict(
  loaded: LoadedCheckpoint,
  file: string,
  budget: Budget,
  onTensor?: (done: number, total: number) => void,
): TorchCheckpointInfo {
  const root = loaded.root;
  if (!(root instanceof Map)) {
    throw new CheckpointFormatError(
      `${file} holds ${describeValue(root)}, not a state_dict (a dict of tensors). Save it with torch.save(model.state_dict(), path).`,
    );
  }
  let dict: PickleDict = root;
  let wrapperKey: StateDictWrapperKey | null = null;
  for (const key of WRAPPER_KEYS) {
    const inner = root.get(key);
    if (inner instanceof Map) {
      dict = inner;
      wrapperKey = key;
      break;
    }
  }

  const entries: [string, TorchTensorRef][] = [];
  for (const [key, value] of dict) {
    if (typeof key !== 'string') {
      throw new CheckpointFormatError(`${file}: state_dict key ${printable(describeValue(key))} is not a string.`);
    }
    if (!(value instanceof TorchTensorRef)) {
      const keys = [...dict.keys()]
        .slice(0, 8)
        .map((k) => printable(describeValue(k), 60))
        .join(', ');
      throw new CheckpointFormatError(
        `${file}: state_dict entry '${printable(key)}' is ${describeValue(value)}, not a tensor${wrapperKey === null ? ` (top-level keys: ${keys}; expected a state_dict or a dict with a 'state_dict', 'model' or 'model_state_dict' entry)` : ''}.`,
        { record: printable(key) },
      );
    }
    entries.push([key, value]);
  }
  if (entries.length === 0) {
    throw new CheckpointFormatError(`${file} holds an empty state_dict; there are no weights to read.`);
  }

  const modulePrefix = entries.every(([key]) => key.startsWith(MODULE_PREFIX));
  // Plan every view first (bounds, no stride 0, no overlaps, the budget), then read: nothing is
  // allocated for a file that would be refused, and a view used under several keys is read once.
  const plans: [string, ViewPlan][] = [];
  let hadNumBatchesTracked = false;
  for (const [rawKey, ref] of entries) {
    const key = modulePrefix ? rawKey.slice(MODULE_PREFIX.length) : rawKey;
    if (key === NUM_BATCHES_TRACKED || key.endsWith(`.${NUM_BATCHES_TRACKED}`)) {
      hadNumBatchesTracked = true;
      continue;
    }
    plans.push([key, planView(ref, rawKey, loaded, file)]);
  }
  const unique = checkOverlaps(
    plans.map(([, plan]) => plan),
    file,
  );
  let outputBytes = 0;
  for (const plan of unique.values()) outputBytes += plan.numel * 4;
  budget.charge(outputBytes, `reading ${unique.size} distinct tensors as float32`);

  const read = new Map<string, Float32Array>();
  const stateDict: StateDict = new Map();
  for (const [key, plan] of plans) {
    let data = read.get(plan.signature);
    if (data === undefined) {
      const bytes = loaded.storageBytes(plan.rootKey);
      data = toFloat32(bytes, plan.dtype, loaded.littleEndian, plan.start, plan.shape, plan.stride, plan.numel);
      read.set(plan.signature, data);
      onTensor?.(read.size, unique.size);
    }
    stateDict.set(key, { shape: Object.freeze([...plan.shape]), dtype: plan.dtype, data });
  }
  return {
    stateDict,
    format: loaded.format,
    wrapperKey,
    modulePrefix,
    hadNumBatchesTracked,
    locations: [...loaded.locations],
  };
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Where a tensor's elements lie in its root storage, checked before anything is read. */
interface ViewPlan {
  readonly key: string;
  readonly rootKey: string;
  readonly dtype: TorchDType;
  /** Index of the first element in the root storage. */
  readonly start: number;
  /** Index of the last element in the root storage (start - 1 when empty). */
  readonly last: number;
  readonly numel: number;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
  /** Equal for views that read the same elements in the same order. */
  readonly signature: string;
  readonly describe: string;
}

/**
 * Checks one tensor's view against its storage: it must lie inside the (view of the) storage, no
 * dimension of more than one element may have stride 0, and no two of its elements may share a
 * storage element. A BagNet's weights need none of these; refusing them bounds what is read by
 * the bytes of the storages.
 */
function planView(ref: TorchTensorRef, key: string, loaded: LoadedCheckpoint, file: string): ViewPlan {
  const storage = ref.storage;
  if (!(storage instanceof StorageRef)) {
    throw new CheckpointFormatError(
      `${file}: tensor '${printable(key)}' has no storage (found ${describeValue(storage)}).`,
      {
        record: printable(key),
      },
    );
  }
  const { dtype, rootKey } = storage;
  const rootNumel = (loaded.decls.get(rootKey) as StorageDecl).numel;
  const available = storage.viewNumel ?? rootNumel - storage.viewOffset;
  const shape = ref.shape;
  const stride = ref.stride;
  const describe = `tensor '${printable(key)}' (shape [${shape.join(', ')}], strides [${stride.join(', ')}], offset ${ref.storageOffset}, ${dtype})`;
  const fail = (what: string): CheckpointFormatError =>
    new CheckpointFormatError(`${file}: ${describe} ${what}`, { record: printable(key) });

  let numel = 1;
  for (const n of shape) numel *= n;
  const start = storage.viewOffset + ref.storageOffset;
  const base = {
    key,
    rootKey,
    dtype,
    start,
    shape,
    stride,
    describe,
  };
  if (numel === 0) return { ...base, last: start - 1, numel: 0, signature: `${rootKey}:empty:${shape.join(',')}` };

  // Sorted by stride, each dimension must step past everything the smaller ones span: then no
  // two indices address the same element, and the view spans `span` elements.
  const dims = shape.map((n, d) => ({ n, s: stride[d] as number })).filter(({ n }) => n > 1);
  dims.sort((a, b) => a.s - b.s);
  let span = 1;
  for (const { n, s } of dims) {
    if (s === 0) {
      throw fail(
        'is a broadcast view (stride 0): its elements repeat one storage element. No BagNet weight is stored this way; re-save the tensor with .contiguous().',
      );
    }
    if (s < span) {
      throw fail(
        'is a self-overlapping view: several of its elements are the same storage element. No BagNet weight is stored this way; re-save the tensor with .contiguous().',
      );
    }
    span += s * (n - 1);
    if (!Number.isSafeInteger(span)) break;
  }
  const extent = ref.storageOffset + span - 1; // last element, relative to the (view of the) storage
  if (!Number.isSafeInteger(extent) || extent >= available || storage.viewOffset + available > rootNumel) {
    throw new CheckpointFormatError(
      `${file}: ${describe} reads up to element ${extent} but storage '${printable(rootKey)}' holds ${available} elements (${available * ELEMENT_SIZE[dtype]} bytes); the file is truncated or corrupt.`,
      { record: key },
    );
  }
  return {
    ...base,
    last: start + span - 1,
    numel,
    signature: `${rootKey}:${start}:${shape.join(',')}:${stride.join(',')}`,
  };
}

/**
 * Refuses tensors that share storage elements, unless they are the same view (the same tensor
 * saved under two keys, which is read once). Returns the distinct views by signature.
 */
function checkOverlaps(plans: readonly ViewPlan[], file: string): Map<string, ViewPlan> {
  const unique = new Map<string, ViewPlan>();
  for (const plan of plans) if (!unique.has(plan.signature)) unique.set(plan.signature, plan);
  const byStorage = new Map<string, ViewPlan[]>();
  for (const plan of unique.values()) {
    if (plan.numel === 0) continue;
    const list = byStorage.get(plan.rootKey);
    if (list === undefined) byStorage.set(plan.rootKey, [plan]);
    else list.push(plan);
  }
  for (const [rootKey, list] of byStorage) {
    list.sort((a, b) => a.start - b.start);
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1] as ViewPlan;
      const b = list[i] as ViewPlan;
      if (b.start <= a.last) {
        throw new CheckpointFormatError(
          `${file}: ${b.describe} overlaps ${a.describe} in storage '${printable(rootKey)}' (elements ${b.start}..${b.last} and ${a.start}..${a.last}). Tensors whose elements overlap are refused: no BagNet needs them, and each would be a copy of the same bytes. Re-save the weights with .clone() per tensor.`,
          { record: printable(b.key) },
        );
      }
    }
  }
  return unique;
}

/** Reads `numel` elements in C order from a strided view and converts them to float32. */
function toFloat32(
  bytes: Uint8Array,
  dtype: TorchDType,
  littleEndian: boolean,
  offset: number,
  shape: readonly number[],
  stride: readonly number[],
  numel: number,
): Float32Array {
  if (numel === 0) return new Float32Array(0);
  const size = ELEMENT_SIZE[dtype];
  if (dtype === 'float32' && littleEndian === HOST_LITTLE_ENDIAN && isContiguous(shape, stride)) {
    const start = bytes.byteOffset + offset * size;
    return new Float32Array(bytes.buffer.slice(start, start + numel * size));
  }
  const get = elementReader(bytes, dtype, littleEndian);
  const out = new Float32Array(numel);
  const ndim = shape.length;
  if (ndim === 0) {
    out[0] = get(offset);
    return out;
  }
  const inner = shape[ndim - 1] as number;
  const innerStride = stride[ndim - 1] as number;
  const index = new Array<number>(ndim).fill(0);
  let base = offset;
  let o = 0;
  for (;;) {
    for (let j = 0, e = base; j < inner; j++, e += innerStride) out[o++] = get(e);
    let d = ndim - 2;
    for (; d >= 0; d--) {
      const s = stride[d] as number;
      base += s;
      if (++(index[d] as number) < (shape[d] as number)) break;
      // odometer carry
      index[d] = 0;
      base -= s * (shape[d] as number);
    }
    if (d < 0) return out;
  }
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d] as number;
    if (n !== 1 && stride[d] !== expected) return false;
    expected *= n;
  }
  return true;
}

function elementReader(bytes: Uint8Array, dtype: TorchDType, le: boolean): (i: number) => number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'float32':
      return (i) => v.getFloat32(i * 4, le);
    case 'float64':
      return (i) => v.getFloat64(i * 8, le);
    case 'float16':
      return (i) => halfToNumber(v.getUint16(i * 2, le));
    case 'bfloat16': {
      const bits = new Uint32Array(1);
      const value = new Float32Array(bits.buffer);
      return (i) => {
        bits[0] = v.getUint16(i * 2, le) << 16;
        return value[0] as number;
      };
    }
    case 'int64':
      return le
        ? (i) => v.getInt32(i * 8 + 4, true) * 0x100000000 + v.getUint32(i * 8, true)
        : (i) => v.getInt32(i * 8, false) * 0x100000000 + v.getUint32(i * 8 + 4, false);
    case 'int32':
      return (i) => v.getInt32(i * 4, le);
    case 'int16':
      return (i) => v.getInt16(i * 2, le);
    case 'int8':
      return (i) => v.getInt8(i);
    case 'uint8':
      return (i) => v.getUint8(i);
    case 'bool':
      return (i) => (v.getUint8(i) !== 0 ? 1 : 0);
  }
}

/** IEEE 754 binary16 to number (exact). */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}
