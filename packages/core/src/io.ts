/**
 * The bagnet-vis model format: a tfjs layers `model.json` (topology + weights manifest) with the
 * BagNet description in `userDefinedMetadata.bagnet`, plus binary weight shards. Plain
 * `tf.loadLayersModel` can read it too; {@link loadBagNet} adds validation and typed errors.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { io } from '@tensorflow/tfjs-core';

import { BagNet } from './bagnet.js';
import type { WeightValue } from './bagnet.js';
import { foldedWeightSpecs } from './build.js';
import { BagNetAbortError, BagNetFormatError, BagNetInputError, brief, throwIfAborted } from './errors.js';
import { parseBagNetMetadata } from './metadata.js';
import type { BagNetMetadata } from './metadata.js';
import { VERSION } from './version.js';

/** Bytes per weight shard when saving (as the tfjs converter). */
export const SHARD_BYTES = 4 * 1024 * 1024;
/** `convertedBy` written into model.json. */
export const FORMAT_WRITER = `@bagnet-vis/core ${VERSION}`;

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
  /**
   * Reads one shard; returns null when it does not exist. `maxBytes` is the most the manifest
   * leaves for this shard: a reader may refuse a larger file without reading it (the loader checks
   * the sizes afterwards anyway).
   */
  readShard(path: string, maxBytes?: number): Promise<ArrayBuffer | null>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 };

/**
 * Throws unless `path` names a file inside the model's folder: relative, without `..` (also
 * percent-encoded), backslashes, control characters, a URL scheme or an empty segment. A manifest
 * is untrusted input; a path such as `../../dev/zero` or `https://elsewhere/` must not make the
 * loader read outside the model.
 */
function checkShardPath(path: unknown, where: string, gi: number): string {
  const bad = (why: string): never => {
    throw new BagNetFormatError(
      `${where}: weightsManifest[${gi}].paths has ${brief(JSON.stringify(path), 200)}, ${why}: ` +
        'weight files must be named relative to model.json, in its folder.',
    );
  };
  if (typeof path !== 'string' || path.length === 0 || path.length > 1024) return bad('which is not a file name');
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(path)) return bad('which contains a backslash or a control character');
  if (path.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(path)) return bad('an absolute path or URL');
  if (path.split('/').some((seg) => seg === '' || /^(\.|%2e){1,2}$/i.test(seg))) {
    return bad('which leaves the folder of model.json (".." or an empty segment)');
  }
  return path;
}

/** Validates a weights manifest; returns its groups with their expected byte counts. */
function checkManifest(manifest: unknown, where: string): { group: io.WeightsManifestConfig[number]; bytes: number }[] {
  if (!Array.isArray(manifest) || manifest.length === 0) {
    throw new BagNetFormatError(`${where} has no "weightsManifest": it is not a tfjs layers model.json.`);
  }
  return manifest.map((g: unknown, gi) => {
    if (!isObject(g) || !Array.isArray(g['paths']) || !Array.isArray(g['weights']) || g['paths'].length === 0) {
      throw new BagNetFormatError(`${where}: weightsManifest[${gi}] needs "paths" and "weights" arrays.`);
    }
    (g['paths'] as unknown[]).forEach((p) => checkShardPath(p, where, gi));
    let bytes = 0;
    for (const w of g['weights'] as unknown[]) {
      if (!isObject(w) || typeof w['name'] !== 'string' || !Array.isArray(w['shape'])) {
        throw new BagNetFormatError(`${where}: weightsManifest[${gi}] has an entry without name/shape.`);
      }
      const shape = w['shape'] as unknown[];
      if (!shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
        throw new BagNetFormatError(
          `${where}: weight ${brief(w['name'] as string)} has an invalid shape ${brief(JSON.stringify(shape))}.`,
        );
      }
      const q = isObject(w['quantization']) ? w['quantization'] : null;
      const dtype = q ? q['dtype'] : w['dtype'];
      if (w['dtype'] !== 'float32' || typeof dtype !== 'string' || BYTES[dtype] === undefined) {
        throw new BagNetFormatError(
          `${where}: weight ${brief(w['name'] as string)} has dtype ${brief(JSON.stringify(w['dtype']))}; BagNet weights must be float32.`,
        );
      }
      bytes += (shape as number[]).reduce((a, b) => a * b, 1) * BYTES[dtype]!;
    }
    return { group: g as unknown as io.WeightsManifestConfig[number], bytes };
  });
}

/**
 * Throws unless the manifest lists exactly the weights the metadata's architecture has, each
 * once and with its shape. Checked before any shard is read or any layer built: a metadata that
 * claims a much larger network than its manifest would otherwise allocate that network first.
 */
function checkManifestArchitecture(
  groups: readonly { group: io.WeightsManifestConfig[number] }[],
  metadata: BagNetMetadata,
  where: string,
): void {
  const listed = new Map<string, readonly number[]>();
  for (const { group } of groups) {
    for (const w of group.weights) {
      if (listed.has(w.name)) {
        throw new BagNetFormatError(`${where}: weight ${brief(w.name)} appears twice in the manifest.`);
      }
      listed.set(w.name, w.shape);
    }
  }
  const specs = foldedWeightSpecs(metadata.architecture);
  const wanted = new Set(specs.map((s) => s.name));
  const missing = specs.filter((s) => !listed.has(s.name)).map((s) => s.name);
  const unexpected = [...listed.keys()].filter((k) => !wanted.has(k));
  const few = (xs: string[]) =>
    `${xs
      .slice(0, 8)
      .map((x) => brief(x, 60))
      .join(', ')}${xs.length > 8 ? ` and ${xs.length - 8} more` : ''}`;
  if (missing.length > 0 || unexpected.length > 0) {
    const a = metadata.architecture;
    throw new BagNetFormatError(
      `${where}: the weights manifest does not match the architecture in its metadata ` +
        `(BagNet-${metadata.receptiveField}, blocks [${a.blocks.join(', ')}], widths [${a.stageWidths.join(', ')}], ` +
        `${a.numClasses} classes): ` +
        [
          missing.length > 0 ? `missing ${few(missing)}` : '',
          unexpected.length > 0 ? `unexpected ${few(unexpected)}` : '',
        ]
          .filter(Boolean)
          .join('; ') +
        '. The files do not belong together; convert or save the model again.',
    );
  }
  for (const spec of specs) {
    const shape = listed.get(spec.name)!;
    if (shape.length !== spec.shape.length || shape.some((d, i) => d !== spec.shape[i])) {
      throw new BagNetFormatError(
        `${where}: weight ${spec.name} has shape [${brief(shape.join(', '))}], expected [${spec.shape.join(', ')}] ` +
          'for the architecture in its metadata. The files do not belong together; convert or save the model again.',
      );
    }
  }
}

/**
 * Throws when a float32 weight holds NaN or ±Infinity: such a model computes NaN evidence for every
 * image (the converter refuses such checkpoints for the same reason). Quantised weights cannot.
 */
function checkFinite(joined: Uint8Array, weights: io.WeightsManifestConfig[number]['weights'], where: string): void {
  let offset = 0;
  for (const w of weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const bytes = n * BYTES[w.quantization?.dtype ?? w.dtype]!;
    if (w.quantization === undefined) {
      const values =
        offset % 4 === 0
          ? new Float32Array(joined.buffer, joined.byteOffset + offset, n)
          : new Float32Array(joined.slice(offset, offset + bytes).buffer);
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(values[i]!)) {
          throw new BagNetFormatError(
            `${where}: weight ${brief(w.name)} holds ${values[i]} at element ${i}; a model with NaN or infinite ` +
              'weights computes NaN evidence. The shard is corrupt, or the model diverged in training.',
          );
        }
      }
    }
    offset += bytes;
  }
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
  checkManifestArchitecture(groups, metadata, where);
  const totalBytes = groups.reduce((a, g) => a + g.bytes, 0);
  let loadedBytes = 0;
  onProgress?.({ loadedBytes, totalBytes });
  const weights = new Map<string, WeightValue>();
  const tensors: tf.Tensor[] = [];
  try {
    for (const { group, bytes } of groups) {
      const parts: ArrayBuffer[] = [];
      let received = 0;
      for (const path of group.paths) {
        throwIfAborted(signal, 'loadBagNet()');
        const buf = await reader.readShard(path, bytes - received);
        if (buf === null) {
          throw new BagNetFormatError(
            `Weight shard "${path}" listed in ${where} is missing. Copy every .bin file next to model.json.`,
          );
        }
        parts.push(buf);
        received += buf.byteLength;
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
      checkFinite(joined, group.weights, where);
      const decoded = tf.io.decodeWeights(joined.buffer, group.weights);
      for (const [name, t] of Object.entries(decoded)) {
        tensors.push(t);
        if (weights.has(name))
          throw new BagNetFormatError(`${where}: weight ${brief(name)} appears twice in the manifest.`);
        weights.set(name, t);
      }
    }
    throwIfAborted(signal, 'loadBagNet()');
    return BagNet.fromMetadata(metadata, weights, where);
  } finally {
    tensors.forEach((t) => t.dispose());
  }
}

/** The error for a shard larger than what its manifest leaves for it. */
export function shardTooLong(where: string, bytes: number, maxBytes: number): BagNetFormatError {
  return new BagNetFormatError(
    `Weight shard ${where} holds ${bytes} bytes, more than the ${maxBytes} its manifest leaves for it: ` +
      'the file is too long or does not belong to this model.json.',
  );
}

/** The body of `r`, refusing (and cancelling) it once it grows past `maxBytes`. */
async function boundedBody(r: Response, where: string, maxBytes: number | undefined): Promise<ArrayBuffer> {
  const declared = Number(r.headers.get('content-length') ?? NaN);
  if (maxBytes !== undefined && Number.isFinite(declared) && declared > maxBytes) {
    void r.body?.cancel().catch(() => undefined);
    throw shardTooLong(where, declared, maxBytes);
  }
  if (maxBytes === undefined || r.body === null) return r.arrayBuffer();
  const stream = r.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await stream.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      void stream.cancel().catch(() => undefined);
      throw shardTooLong(where, total, maxBytes);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out.buffer;
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
    async readShard(path, maxBytes) {
      const u = new URL(path, base);
      const r = await get(u);
      if (r.status === 404) return null;
      if (!r.ok) throw new BagNetFormatError(`Could not load weight shard ${u.href}: HTTP ${r.status}.`);
      try {
        return await boundedBody(r, u.href, maxBytes);
      } catch (e) {
        if (e instanceof BagNetFormatError) throw e;
        if (options.signal?.aborted) throw new BagNetAbortError('loadBagNet() was aborted.', { cause: e });
        throw new BagNetFormatError(
          `Could not load weight shard ${u.href}: ${e instanceof Error ? e.message : String(e)}.`,
          { cause: e },
        );
      }
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
    async readShard(path, maxBytes) {
      const f = byName.get(path.split('/').pop()!);
      if (f === undefined) return null;
      if (maxBytes !== undefined && f.size > maxBytes) throw shardTooLong(`"${f.name}"`, f.size, maxBytes);
      return f.arrayBuffer();
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
