/**
 * The bagnet-vis model format: a tfjs layers `model.json` (topology + weights manifest) with the
 * BagNet description in `userDefinedMetadata.bagnet`, plus binary weight shards. Plain
 * `tf.loadLayersModel` can read it too; {@link loadBagNet} adds validation and typed errors.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { io } from '@tensorflow/tfjs-core';

import { BagNet } from './bagnet.js';
import type { WeightValue } from './bagnet.js';
import { BagNetAbortError, BagNetFormatError, BagNetInputError, throwIfAborted } from './errors.js';
import { parseBagNetMetadata } from './metadata.js';
import type { BagNetMetadata } from './metadata.js';

/** Bytes per weight shard when saving (as the tfjs converter). */
export const SHARD_BYTES = 4 * 1024 * 1024;
/** `convertedBy` written into model.json. */
export const FORMAT_WRITER = '@bagnet-vis/core 0.1.0';

/** The parsed model.json of a bagnet-vis model. */
export interface BagNetModelJson {
  readonly format: 'layers-model';
  readonly generatedBy: string;
  readonly convertedBy: string;
  readonly modelTopology: object;
  readonly weightsManifest: io.WeightsManifestConfig;
  readonly userDefinedMetadata: { readonly bagnet: BagNetMetadata };
}

/** Progress of loading: bytes received so far over the total. */
export interface LoadProgress {
  readonly loadedBytes: number;
  readonly totalBytes: number;
}

/** Options of {@link loadBagNet}. */
export interface LoadOptions {
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
  /** `fetch` to use for URLs (default: the global one). */
  fetch?: typeof fetch;
}

/** A way to read the files of a model: model.json text and shards by relative path. */
export interface ModelFileReader {
  /** Human-readable location of model.json, for messages. */
  readonly where: string;
  readJson(): Promise<string>;
  /** Reads one shard; returns null when it does not exist. */
  readShard(path: string): Promise<ArrayBuffer | null>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 };

/** Validates a weights manifest; returns its groups with their expected byte counts. */
function checkManifest(manifest: unknown, where: string): { group: io.WeightsManifestConfig[number]; bytes: number }[] {
  if (!Array.isArray(manifest) || manifest.length === 0) {
    throw new BagNetFormatError(`${where} has no "weightsManifest": it is not a tfjs layers model.json.`);
  }
  return manifest.map((g: unknown, gi) => {
    if (!isObject(g) || !Array.isArray(g['paths']) || !Array.isArray(g['weights']) || g['paths'].length === 0) {
      throw new BagNetFormatError(`${where}: weightsManifest[${gi}] needs "paths" and "weights" arrays.`);
    }
    let bytes = 0;
    for (const w of g['weights'] as unknown[]) {
      if (!isObject(w) || typeof w['name'] !== 'string' || !Array.isArray(w['shape'])) {
        throw new BagNetFormatError(`${where}: weightsManifest[${gi}] has an entry without name/shape.`);
      }
      const shape = w['shape'] as unknown[];
      if (!shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
        throw new BagNetFormatError(`${where}: weight ${w['name']} has an invalid shape ${JSON.stringify(shape)}.`);
      }
      const q = isObject(w['quantization']) ? w['quantization'] : null;
      const dtype = q ? q['dtype'] : w['dtype'];
      if (w['dtype'] !== 'float32' || typeof dtype !== 'string' || BYTES[dtype] === undefined) {
        throw new BagNetFormatError(
          `${where}: weight ${w['name']} has dtype ${JSON.stringify(w['dtype'])}; BagNet weights must be float32.`,
        );
      }
      bytes += (shape as number[]).reduce((a, b) => a * b, 1) * BYTES[dtype]!;
    }
    return { group: g as unknown as io.WeightsManifestConfig[number], bytes };
  });
}

/** Parses and checks a model.json text; `where` names it in messages. */
export function parseModelJson(text: string, where: string): BagNetModelJson {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BagNetFormatError(`${where} is not valid JSON (${e instanceof Error ? e.message : String(e)}).`, {
      cause: e,
    });
  }
  if (!isObject(json)) throw new BagNetFormatError(`${where} is not a JSON object.`);
  const udm = json['userDefinedMetadata'];
  parseBagNetMetadata(isObject(udm) ? udm['bagnet'] : undefined, where);
  checkManifest(json['weightsManifest'], where);
  return json as unknown as BagNetModelJson;
}

/**
 * Loads a model through `reader`: checks model.json, reads every shard, checks byte counts
 * and shapes, builds the BagNet.
 */
export async function loadBagNetFrom(reader: ModelFileReader, options: LoadOptions = {}): Promise<BagNet> {
  const { signal, onProgress } = options;
  throwIfAborted(signal, 'loadBagNet()');
  const where = reader.where;
  const json = parseModelJson(await reader.readJson(), where);
  const metadata = parseBagNetMetadata(json.userDefinedMetadata.bagnet, where);
  const groups = checkManifest(json.weightsManifest, where);
  const totalBytes = groups.reduce((a, g) => a + g.bytes, 0);
  let loadedBytes = 0;
  onProgress?.({ loadedBytes, totalBytes });
  const weights = new Map<string, WeightValue>();
  const tensors: tf.Tensor[] = [];
  try {
    for (const { group, bytes } of groups) {
      const parts: ArrayBuffer[] = [];
      for (const path of group.paths) {
        throwIfAborted(signal, 'loadBagNet()');
        const buf = await reader.readShard(path);
        if (buf === null) {
          throw new BagNetFormatError(
            `Weight shard "${path}" listed in ${where} is missing. Copy every .bin file next to model.json.`,
          );
        }
        parts.push(buf);
        loadedBytes += buf.byteLength;
        onProgress?.({ loadedBytes: Math.min(loadedBytes, totalBytes), totalBytes });
      }
      const size = parts.reduce((a, p) => a + p.byteLength, 0);
      if (size !== bytes) {
        throw new BagNetFormatError(
          `Weight shards ${group.paths.join(', ')} of ${where} hold ${size} bytes, but the manifest describes ${bytes}: ` +
            `the files are ${size < bytes ? 'truncated' : 'too long'} or do not belong to this model.json.`,
        );
      }
      const joined = new Uint8Array(size);
      let o = 0;
      for (const p of parts) {
        joined.set(new Uint8Array(p), o);
        o += p.byteLength;
      }
      const decoded = tf.io.decodeWeights(joined.buffer, group.weights);
      for (const [name, t] of Object.entries(decoded)) {
        tensors.push(t);
        if (weights.has(name)) throw new BagNetFormatError(`${where}: weight ${name} appears twice in the manifest.`);
        weights.set(name, t);
      }
    }
    throwIfAborted(signal, 'loadBagNet()');
    return BagNet.fromMetadata(metadata, weights, where);
  } finally {
    tensors.forEach((t) => t.dispose());
  }
}

/** Reads model files over HTTP(S), relative to the model.json URL. */
export function urlReader(url: string | URL, options: LoadOptions = {}): ModelFileReader {
  const doFetch = options.fetch ?? globalThis.fetch;
  const base = new URL(String(url), typeof location !== 'undefined' ? location.href : undefined);
  const get = async (u: URL): Promise<Response> => {
    try {
      return await doFetch(u.href, options.signal ? { signal: options.signal } : {});
    } catch (e) {
      if (options.signal?.aborted) throw new BagNetAbortError('loadBagNet() was aborted.', { cause: e });
      throw new BagNetFormatError(`Could not fetch ${u.href}: ${e instanceof Error ? e.message : String(e)}.`, {
        cause: e,
      });
    }
  };
  return {
    where: base.href,
    async readJson() {
      const r = await get(base);
      if (!r.ok) throw new BagNetFormatError(`Could not load model ${base.href}: HTTP ${r.status} ${r.statusText}.`);
      return r.text();
    },
    async readShard(path) {
      const r = await get(new URL(path, base));
      if (r.status === 404) return null;
      if (!r.ok)
        throw new BagNetFormatError(`Could not load weight shard ${new URL(path, base).href}: HTTP ${r.status}.`);
      return r.arrayBuffer();
    },
  };
}

/** Reads model files from a browser file input / drop (model.json and its .bin shards). */
export function filesReader(files: Iterable<File> | ArrayLike<File>): ModelFileReader {
  const list = Array.from(files as ArrayLike<File>);
  const json = list.find((f) => f.name.endsWith('.json'));
  if (json === undefined) {
    throw new BagNetInputError(
      `No model.json among the ${list.length} selected file(s): select model.json together with its .bin shards.`,
    );
  }
  const byName = new Map(list.map((f) => [f.name, f]));
  return {
    where: json.name,
    readJson: () => json.text(),
    async readShard(path) {
      const f = byName.get(path.split('/').pop()!);
      return f ? f.arrayBuffer() : null;
    },
  };
}

/** A model source: a URL of model.json, the files of a file input, or a reader. */
export type BagNetSource = string | URL | FileList | readonly File[] | ModelFileReader;

/**
 * Loads a saved BagNet: from a model.json URL (browser, or Node ≥ 18 with fetch), from files
 * (browser file input with model.json + shards) or a {@link ModelFileReader}. In Node, use
 * `loadBagNetFromDisk` from `@bagnet-vis/core/node` for paths.
 */
export async function loadBagNet(source: BagNetSource, options: LoadOptions = {}): Promise<BagNet> {
  let reader: ModelFileReader;
  if (typeof source === 'string' || source instanceof URL) reader = urlReader(source, options);
  else if ('readJson' in source) reader = source;
  else reader = filesReader(source);
  return loadBagNetFrom(reader, options);
}

/** The files of a saved model: model.json text and shards by file name. */
export interface BagNetFiles {
  readonly modelJson: BagNetModelJson;
  readonly shards: ReadonlyMap<string, Uint8Array>;
}

/** Serialises a BagNet to the model format in memory (model.json + 4 MB shards). */
export async function serializeBagNet(bagnet: BagNet, shardBytes = SHARD_BYTES): Promise<BagNetFiles> {
  const weights = bagnet.getWeights();
  try {
    const named = bagnet.weightSpecs.map((s) => ({ name: s.name, tensor: weights.get(s.name)! }));
    const { data, specs } = await tf.io.encodeWeights(named);
    const bytes = new Uint8Array(data as ArrayBuffer);
    const n = Math.max(1, Math.ceil(bytes.byteLength / shardBytes));
    const shards = new Map<string, Uint8Array>();
    for (let i = 0; i < n; i++) {
      shards.set(
        `group1-shard${i + 1}of${n}.bin`,
        bytes.slice(i * shardBytes, Math.min(bytes.byteLength, (i + 1) * shardBytes)),
      );
    }
    const modelJson: BagNetModelJson = {
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version_core}`,
      convertedBy: FORMAT_WRITER,
      modelTopology: bagnet.logitModel.toJSON(null, false) as object,
      weightsManifest: [{ paths: [...shards.keys()], weights: specs }],
      userDefinedMetadata: { bagnet: bagnet.metadata },
    };
    return { modelJson, shards };
  } finally {
    weights.forEach((t) => t.dispose());
  }
}

/**
 * Saves a BagNet through a tfjs IOHandler or URL scheme (`downloads://name`, `indexeddb://name`,
 * `http://...` POST) — the same destinations `model.save()` accepts. In Node, use
 * `saveBagNetToDisk` from `@bagnet-vis/core/node`.
 */
export async function saveBagNet(bagnet: BagNet, destination: string | io.IOHandler): Promise<io.SaveResult> {
  let handler: io.IOHandler;
  if (typeof destination === 'string') {
    const handlers = tf.io.getSaveHandlers(destination);
    if (handlers.length !== 1) {
      throw new BagNetInputError(
        `No unique tfjs save handler for ${JSON.stringify(destination)} (found ${handlers.length}).`,
      );
    }
    handler = handlers[0]!;
  } else handler = destination;
  if (handler.save === undefined) throw new BagNetInputError('The IOHandler cannot save (it has no save()).');
  const weights = bagnet.getWeights();
  try {
    const named = bagnet.weightSpecs.map((s) => ({ name: s.name, tensor: weights.get(s.name)! }));
    const { data, specs } = await tf.io.encodeWeights(named);
    return await handler.save({
      modelTopology: bagnet.logitModel.toJSON(null, false) as object,
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version_core}`,
      convertedBy: FORMAT_WRITER,
      weightSpecs: specs,
      weightData: data,
      userDefinedMetadata: { bagnet: bagnet.metadata as unknown as object },
    });
  } finally {
    weights.forEach((t) => t.dispose());
  }
}
