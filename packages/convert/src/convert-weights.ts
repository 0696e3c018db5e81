/**
 * The tfjs-free half of a conversion: from the bytes of a PyTorch BagNet checkpoint to the
 * architecture, metadata and folded float32 weights of a @bagnet-vis/core BagNet. Nothing here
 * imports tfjs, so it runs in a Web Worker (convert.worker.ts) as well as on the main thread;
 * `convertCheckpoint` adds `BagNet.create` on top.
 */
import { IMAGENET_NORMALIZATION, receptiveFieldOf, throwIfAborted } from '@bagnet-vis/core';
import type { BagNetArchitecture, Normalization, Provenance } from '@bagnet-vis/core';

import { checkStateDict, foldStateDict, inferArchitecture } from './bagnet-weights.js';
import type { FoldedWeight } from './bagnet-weights.js';
import { ConvertOptionsError } from './errors.js';
import { IMAGENET_LABELS } from './imagenet-labels.js';
import { inspectTorchCheckpoint } from './torch-checkpoint.js';
import type { TorchCheckpointInfo } from './torch-checkpoint.js';
import { VERSION } from './version.js';

/** `provenance.convertedBy` of converted models. */
export const CONVERTER = `@bagnet-vis/convert ${VERSION}`;

/** A step of {@link convertCheckpoint}, reported as it starts (`hash`, `read`) or ends. */
export interface ConvertProgress {
  readonly stage: 'hash' | 'read' | 'architecture' | 'build';
  /** One line for humans, e.g. `BagNet-33 (stride 8): 1000 classes, 18.3 M parameters`. */
  readonly message: string;
}

/** Options of {@link convertCheckpoint}. */
export interface ConvertOptions {
  /** Name of the checkpoint file: `provenance.source` and error messages. Default `'checkpoint'`. */
  readonly fileName?: string;
  /**
   * One label per class. Default: the ImageNet-1k labels for 1000-class models, otherwise
   * `class 0`, `class 1`, …
   */
  readonly labels?: readonly string[];
  /**
   * Stage strides (a checkpoint does not record them). Default [2, 2, 2, 1], the published
   * BagNets; models trained with other strides need theirs here.
   */
  readonly stageStrides?: readonly [number, number, number, number];
  /** Training image size [height, width] (each ≥ q). Default [224, 224]. */
  readonly inputSize?: readonly [number, number];
  /** Pixel normalisation, RGB. Default ImageNet's mean/std (the published BagNets). */
  readonly normalization?: Normalization;
  /** `provenance.notes`. Default: a description of the checkpoint (format, wrapper, prefix). */
  readonly notes?: string;
  /** `provenance.date`. Default: now. */
  readonly date?: Date;
  /**
   * Most bytes of tensor data the checkpoint reader may allocate (see `readTorchCheckpoint`).
   * Default 512 MiB.
   */
  readonly maxBytes?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ConvertProgress) => void;
}

/**
 * A converted checkpoint before it becomes a tfjs model: everything `BagNet.create` needs, as
 * plain data (structured-cloneable; each weight owns its ArrayBuffer, so a worker can transfer
 * them). `bagnetFromConverted` makes the BagNet.
 */
export interface ConvertedCheckpoint {
  readonly architecture: BagNetArchitecture;
  /** One per class; undefined for the default `class 0`, `class 1`, … */
  readonly labels: readonly string[] | undefined;
  readonly inputSize: readonly [number, number];
  readonly normalization: Normalization;
  readonly provenance: Provenance;
  /** Folded weights by core name (`layer1_0_conv2/kernel`, …), HWIO kernels. */
  readonly weights: ReadonlyMap<string, FoldedWeight>;
  /** Parameters as PyTorch counts them (BatchNorm running statistics are buffers). */
  readonly parameters: number;
}

/**
 * Finer progress of the reading and folding steps, for the worker's byte and tensor counts.
 * @internal
 */
export interface ConvertStepHooks {
  readonly onHashed?: () => void;
  readonly onTensor?: (done: number, total: number) => void;
  readonly onWeight?: (done: number, total: number) => void;
}

/**
 * Reads a PyTorch BagNet checkpoint with the safe unpickler, infers and checks the architecture,
 * folds BatchNorm and transposes the weights, and records provenance (file name, SHA-256,
 * converter, date): {@link convertCheckpoint} without building the tfjs model. Needs no tfjs.
 * Reports the `hash`, `read` and `architecture` steps (not `build`).
 *
 * @throws the errors of {@link convertCheckpoint}.
 */
export async function convertCheckpointWeights(
  bytes: Uint8Array,
  options: ConvertOptions = {},
  hooks: ConvertStepHooks = {},
): Promise<ConvertedCheckpoint> {
  const { signal, onProgress } = options;
  const fileName = options.fileName ?? 'checkpoint';
  const what = `convertCheckpoint(${JSON.stringify(fileName)})`;
  throwIfAborted(signal, what);
  if (options.normalization !== undefined) checkNormalization(options.normalization);

  onProgress?.({ stage: 'hash', message: `SHA-256 of ${fileName} (${formatBytes(bytes.length)})` });
  const sha256 = await sha256Hex(bytes);
  hooks.onHashed?.();
  throwIfAborted(signal, what);

  onProgress?.({ stage: 'read', message: `reading ${fileName} with the safe unpickler` });
  const info = inspectTorchCheckpoint(bytes, {
    fileName,
    ...(options.maxBytes !== undefined && { maxBytes: options.maxBytes }),
    ...(hooks.onTensor !== undefined && { onTensor: hooks.onTensor }),
  });
  const description = describeCheckpoint(info);
  throwIfAborted(signal, what);

  const architecture = inferArchitecture(info.stateDict, options);
  checkStateDict(info.stateDict, architecture);
  const { receptiveField, stride } = receptiveFieldOf(architecture);
  let parameters = 0; // as PyTorch counts them: BatchNorm running statistics are buffers
  for (const [key, t] of info.stateDict) if (!/running_(mean|var)$/.test(key)) parameters += t.data.length;
  onProgress?.({
    stage: 'architecture',
    message:
      `BagNet-${receptiveField} (stride ${stride}): ${architecture.numClasses} classes, ` +
      `blocks [${architecture.blocks.join(', ')}], widths [${architecture.stageWidths.join(', ')}], ` +
      `${parameters >= 1e6 ? `${(parameters / 1e6).toFixed(1)} M` : parameters} parameters; ${description}`,
  });

  const labels = resolveLabels(options.labels, architecture);
  const inputSize = options.inputSize ?? [224, 224];
  if (inputSize.length !== 2 || !inputSize.every((s) => Number.isInteger(s) && s >= receptiveField && s <= 4096)) {
    throw new ConvertOptionsError(
      `Input size [${inputSize.join(', ')}] is invalid for a BagNet-${receptiveField}: ` +
        `height and width must be integers from ${receptiveField} (q) to 4096.`,
    );
  }
  const provenance: Provenance = {
    source: fileName,
    ...(sha256 !== undefined && { sha256 }),
    convertedBy: CONVERTER,
    date: (options.date ?? new Date()).toISOString(),
    notes: options.notes ?? description,
  };
  const weights = foldStateDict(
    info.stateDict,
    architecture,
    hooks.onWeight === undefined ? {} : { onWeight: hooks.onWeight },
  );
  throwIfAborted(signal, what);
  return {
    architecture,
    labels,
    inputSize: [inputSize[0], inputSize[1]],
    normalization: options.normalization ?? IMAGENET_NORMALIZATION,
    provenance,
    weights,
    parameters,
  };
}

/** One line about how a checkpoint stored its state_dict. */
export function describeCheckpoint(info: TorchCheckpointInfo): string {
  const parts = [
    `PyTorch ${info.format === 'zip' ? 'zip (torch ≥ 1.6)' : 'legacy (torch < 1.6)'} checkpoint`,
    `${info.stateDict.size} tensors`,
  ];
  if (info.wrapperKey !== null) parts.push(`state_dict under '${info.wrapperKey}'`);
  if (info.modulePrefix) parts.push("'module.' prefix stripped");
  if (info.hadNumBatchesTracked) parts.push('num_batches_tracked ignored');
  const devices = info.locations.filter((l) => l !== 'cpu');
  if (devices.length > 0) parts.push(`${devices.join(', ')} storages read on the CPU`);
  return parts.join(', ');
}

function resolveLabels(labels: readonly string[] | undefined, a: BagNetArchitecture): readonly string[] | undefined {
  if (labels === undefined) return a.numClasses === IMAGENET_LABELS.length ? IMAGENET_LABELS : undefined;
  if (labels.length !== a.numClasses) {
    throw new ConvertOptionsError(
      `${labels.length} labels were given, but the checkpoint has ${a.numClasses} classes (fc.weight has ${a.numClasses} rows): give exactly one label per class.`,
    );
  }
  const empty = labels.findIndex((l) => typeof l !== 'string' || l.trim().length === 0);
  if (empty >= 0) throw new ConvertOptionsError(`The label of class ${empty} is empty.`);
  return labels;
}

function checkNormalization(n: Normalization): void {
  const ok = (v: readonly number[], positive: boolean) =>
    v.length === 3 && v.every((x) => Number.isFinite(x) && (!positive || x > 0));
  if (!ok(n.mean, false) || !ok(n.std, true) || n.channelOrder !== 'RGB') {
    throw new ConvertOptionsError(
      `Normalization mean [${n.mean.join(', ')}] / std [${n.std.join(', ')}] is invalid: ` +
        'give three finite means and three positive standard deviations (RGB, for pixels scaled to [0, 1]).',
    );
  }
}

/** Hex SHA-256 through WebCrypto; undefined where it is unavailable (insecure browser contexts). */
async function sha256Hex(bytes: Uint8Array): Promise<string | undefined> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) return undefined;
  const data = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
  const digest = new Uint8Array(await subtle.digest('SHA-256', data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** `n` bytes for humans: `73.4 MB`, `1.2 kB`, `12 bytes`. */
export function formatBytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} bytes`;
}
