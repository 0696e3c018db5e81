/**
 * BagNet: a loaded model (tfjs-layers graph + metadata) and the operations on it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';

import { PatchGeometry } from './architecture.js';
import type { BagNetArchitecture } from './architecture.js';
import { buildBagNetGraph, foldedWeightSpecs } from './build.js';
import type { WeightSpec } from './build.js';
import { BagNetFormatError, BagNetInputError, raceAbort, throwIfAborted } from './errors.js';
import { EvidenceMap } from './evidence-map.js';
import { createBagNetMetadata } from './metadata.js';
import type { BagNetMetadata, BagNetMetadataOptions } from './metadata.js';
import { normalizePixels, readPixels } from './preprocess.js';
import type { BagNetImageInput } from './preprocess.js';

/** Options of the long-running calls. */
export interface RunOptions {
  /** Cancels the call; it then rejects with `BagNetAbortError` and leaves no tensors behind. */
  signal?: AbortSignal;
}

/** Per-patch embeddings: the D-dimensional features the linear head reads at every cell. */
export interface PatchEmbeddings {
  /** [rows, cols, D] features. Owned by the caller: dispose it. */
  readonly features: Tensor3D;
  readonly geometry: PatchGeometry;
}

/** A folded weight value: a tensor or raw float32 data with its shape. */
export type WeightValue = Tensor | { readonly data: Float32Array; readonly shape: readonly number[] };

/**
 * Empties tfjs-layers' cache of execution plans. `predict` caches each model's topologically sorted
 * graph in a global LRU of 100 entries keyed by tensor names, which are new for every model built:
 * a disposed BagNet's layers stayed reachable from it (about 60 kB of JS heap each, until 100 models
 * later). Shrinking the cache to 0 and back (its documented flag) evicts every plan; models still in
 * use rebuild theirs on their next call, at negligible cost.
 */
function forgetExecutionPlans(): void {
  const flag = 'TOPOLOGICAL_SORT_CACHE_MAX_ENTRIES';
  const env = tf.env();
  try {
    const entries = env.getNumber(flag);
    env.set(flag, 0);
    env.set(flag, entries);
  } catch {
    // tfjs-layers without this flag: nothing to forget.
  }
}

/**
 * A BagNet ready for inference. Create one with `loadBagNet` (from a saved model),
 * `@bagnet-vis/convert` (from a PyTorch checkpoint) or {@link BagNet.create} (fresh weights).
 * Call {@link dispose} to release its weights.
 */
export class BagNet {
  readonly metadata: BagNetMetadata;
  /** tfjs model: normalised NHWC image → [N, rows, cols, classes] patch logits. */
  readonly logitModel: LayersModel;
  /** tfjs model sharing the same layers: normalised image → [N, rows, cols, D] features. */
  readonly featureModel: LayersModel;
  #disposed = false;
  #bias?: Float32Array;

  private constructor(metadata: BagNetMetadata) {
    this.metadata = metadata;
    const graph = buildBagNetGraph(metadata.architecture);
    this.logitModel = graph.logitModel;
    this.featureModel = graph.featureModel;
  }

  /**
   * A BagNet with the given metadata and weights. `weights` maps every name of
   * {@link BagNet.weightSpecs} to a value of that shape (HWIO kernels, BN folded). Without
   * `weights`, parameters are He-initialised from `seed` (for tests and training from scratch).
   */
  static create(
    architecture: BagNetArchitecture,
    options: BagNetMetadataOptions & { weights?: ReadonlyMap<string, WeightValue>; seed?: number } = {},
  ): BagNet {
    const net = new BagNet(createBagNetMetadata(architecture, options));
    try {
      if (options.weights) net.setWeights(options.weights, 'weights');
      else net.#initialise(options.seed ?? 0);
    } catch (e) {
      net.dispose();
      throw e;
    }
    return net;
  }

  /** @internal Used by loaders: metadata already validated. */
  static fromMetadata(metadata: BagNetMetadata, weights: ReadonlyMap<string, WeightValue>, where: string): BagNet {
    const net = new BagNet(metadata);
    try {
      net.setWeights(weights, where);
    } catch (e) {
      net.dispose();
      throw e;
    }
    return net;
  }

  /** Receptive field q in pixels. */
  get receptiveField(): number {
    return this.metadata.receptiveField;
  }

  /** Cell stride of the evidence map in pixels. */
  get stride(): number {
    return this.metadata.stride;
  }

  get numClasses(): number {
    return this.metadata.architecture.numClasses;
  }

  get labels(): readonly string[] {
    return this.metadata.labels;
  }

  /** The names and shapes of the folded weights, in order. */
  get weightSpecs(): WeightSpec[] {
    return foldedWeightSpecs(this.metadata.architecture);
  }

  /** The head bias per class (a CPU copy, read from the device once). */
  async headBias(): Promise<Float32Array> {
    this.#checkAlive();
    if (this.#bias === undefined) {
      const bias = this.logitModel.getLayer('head').getWeights()[1]!;
      this.#bias = Float32Array.from(await bias.data());
    }
    return this.#bias;
  }

  /** Geometry of the evidence map for an image of `height` × `width`; throws below q. */
  geometry(height: number, width: number): PatchGeometry {
    return PatchGeometry.of(this.metadata.architecture, height, width);
  }

  /** The current weights by name (new tensors; the caller disposes them). */
  getWeights(): Map<string, Tensor> {
    this.#checkAlive();
    const out = new Map<string, Tensor>();
    for (const spec of this.weightSpecs) {
      const [layer, kind] = spec.name.split('/') as [string, string];
      const values = this.logitModel.getLayer(layer).getWeights();
      out.set(spec.name, tf.clone(values[kind === 'kernel' ? 0 : 1]!));
    }
    return out;
  }

  /**
   * Replaces the weights. Every name of {@link weightSpecs} must be present with its exact
   * shape; `where` names the source in error messages. Values are copied.
   */
  setWeights(weights: ReadonlyMap<string, WeightValue>, where = 'weights'): void {
    this.#checkAlive();
    const specs = this.weightSpecs;
    const expected = new Set(specs.map((s) => s.name));
    const unexpected = [...weights.keys()].filter((k) => !expected.has(k));
    const missing = specs.filter((s) => !weights.has(s.name)).map((s) => s.name);
    if (missing.length > 0 || unexpected.length > 0) {
      throw new BagNetFormatError(
        `${where} do not match the BagNet architecture: ` +
          [
            missing.length > 0
              ? `missing ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ` and ${missing.length - 8} more` : ''}`
              : '',
            unexpected.length > 0
              ? `unexpected ${unexpected.slice(0, 8).join(', ')}${unexpected.length > 8 ? ` and ${unexpected.length - 8} more` : ''}`
              : '',
          ]
            .filter(Boolean)
            .join('; ') +
          '.',
      );
    }
    for (const spec of specs) {
      const v = weights.get(spec.name)!;
      const shape = v instanceof tf.Tensor ? v.shape : v.shape;
      if (shape.length !== spec.shape.length || shape.some((d, i) => d !== spec.shape[i])) {
        throw new BagNetFormatError(
          `${where}: weight ${spec.name} has shape [${shape.join(', ')}], expected [${spec.shape.join(', ')}].`,
        );
      }
      if (!(v instanceof tf.Tensor) && v.data.length !== spec.shape.reduce((a, b) => a * b, 1)) {
        throw new BagNetFormatError(
          `${where}: weight ${spec.name} has ${v.data.length} values for shape [${spec.shape.join(', ')}].`,
        );
      }
    }
    const byLayer = new Map<string, Tensor[]>();
    tf.tidy(() => {
      for (const spec of specs) {
        const v = weights.get(spec.name)!;
        const t = v instanceof tf.Tensor ? tf.cast(v, 'float32') : tf.tensor(v.data, [...v.shape], 'float32');
        const layer = spec.name.split('/')[0]!;
        byLayer.set(layer, [...(byLayer.get(layer) ?? []), t]);
      }
      for (const [layer, values] of byLayer) this.logitModel.getLayer(layer).setWeights(values);
    });
    this.#bias = undefined;
  }

  /**
   * The patch-logit map of normalised NHWC images: [N, rows, cols, classes]. Synchronous tensor
   * op; the caller disposes the result. Use {@link evidence} for images.
   */
  logitMap(normalized: Tensor4D): Tensor4D {
    this.#checkAlive();
    return this.logitModel.predict(normalized) as Tensor4D;
  }

  /** Reads and normalises an image: [1, H, W, 3]. The caller disposes the result. */
  async preprocess(image: BagNetImageInput): Promise<Tensor4D> {
    const pixels = await readPixels(image);
    try {
      this.geometry(pixels.shape[0], pixels.shape[1]);
      return normalizePixels(pixels, this.metadata.normalization);
    } finally {
      pixels.dispose();
    }
  }

  /**
   * One forward pass: the image's {@link EvidenceMap} (logits = mean of the patch-logit map).
   * The caller disposes the result.
   */
  async evidence(image: BagNetImageInput, options: RunOptions = {}): Promise<EvidenceMap> {
    this.#checkAlive();
    throwIfAborted(options.signal, 'BagNet.evidence()');
    const x = await this.preprocess(image);
    let map: Tensor;
    try {
      throwIfAborted(options.signal, 'BagNet.evidence()');
      map = this.logitMap(x);
    } finally {
      x.dispose();
    }
    const [, rows, cols] = map.shape as [number, number, number, number];
    let data: Float32Array;
    try {
      // Abortable while the GPU read is pending (it never settles once a WebGL context is lost).
      data = (await raceAbort(map.data(), options.signal, 'BagNet.evidence()')) as Float32Array;
    } finally {
      map.dispose();
    }
    throwIfAborted(options.signal, 'BagNet.evidence()');
    const [height, width] = x.shape.slice(1, 3) as [number, number];
    const geometry = this.geometry(height, width);
    if (geometry.rows !== rows || geometry.cols !== cols) {
      throw new Error(
        `Internal error: model output ${rows}×${cols} differs from geometry ${geometry.rows}×${geometry.cols}.`,
      );
    }
    return new EvidenceMap({ logitMap: data, geometry, labels: this.labels, bias: await this.headBias() });
  }

  /** Per-patch embeddings (the features before the head). The caller disposes `features`. */
  async embeddings(image: BagNetImageInput, options: RunOptions = {}): Promise<PatchEmbeddings> {
    this.#checkAlive();
    throwIfAborted(options.signal, 'BagNet.embeddings()');
    const x = await this.preprocess(image);
    try {
      throwIfAborted(options.signal, 'BagNet.embeddings()');
      const geometry = this.geometry(x.shape[1], x.shape[2]);
      const features = tf.tidy(() => tf.squeeze(this.featureModel.predict(x) as Tensor4D, [0]) as Tensor3D);
      return { features, geometry };
    } finally {
      x.dispose();
    }
  }

  /** Throws unless `classIndex` is a class of this model. */
  checkClass(classIndex: number): void {
    if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= this.numClasses) {
      throw new BagNetInputError(
        `Class index ${String(classIndex)} is out of range: this model has ${this.numClasses} classes (0–${this.numClasses - 1}).`,
      );
    }
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** Releases the weights. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    // featureModel shares every layer but the head with logitModel; disposing logitModel
    // releases all of them (tfjs-layers does not reference-count sharing between models).
    this.logitModel.dispose();
    forgetExecutionPlans();
  }

  #checkAlive(): void {
    if (this.#disposed) throw new BagNetInputError('This BagNet has been disposed.');
  }

  /** He-normal kernels (fan-out, as the reference), zero biases, seeded. */
  #initialise(seed: number): void {
    const values = new Map<string, Tensor>();
    tf.tidy(() => {
      this.weightSpecs.forEach((spec, i) => {
        const t =
          spec.shape.length === 4
            ? tf.randomNormal(
                [...spec.shape],
                0,
                Math.sqrt(2 / (spec.shape[0]! * spec.shape[1]! * spec.shape[3]!)),
                'float32',
                seed + i,
              )
            : tf.zeros([...spec.shape]);
        values.set(spec.name, tf.keep(t));
      });
    });
    try {
      this.setWeights(values, 'initial weights');
    } finally {
      values.forEach((t) => t.dispose());
    }
  }
}
