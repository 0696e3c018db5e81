/**
 * One call from the bytes of a PyTorch BagNet checkpoint to a ready @bagnet-vis/core BagNet with
 * complete metadata (labels, input size, normalisation, provenance). Runs in browsers and Node:
 * the input is a `Uint8Array`, the hash comes from WebCrypto.
 */
import { BagNet, BagNetError, IMAGENET_NORMALIZATION, receptiveFieldOf, throwIfAborted } from '@bagnet-vis/core';
import type { BagNetArchitecture, Normalization, Provenance } from '@bagnet-vis/core';

import { checkStateDict, foldStateDict, inferArchitecture } from './bagnet-weights.js';
import { BagNetConvertError, ConvertOptionsError } from './errors.js';
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
 * Converts a PyTorch BagNet checkpoint (the published `bagnet8/16/32-*.pth.tar` files or any
 * state_dict with the reference key names) to a BagNet: reads it with the safe unpickler, infers
 * and checks the architecture, folds BatchNorm and transposes the weights, and records provenance
 * (file name, SHA-256, converter, date). The caller disposes the result.
 *
 * @throws {CheckpointFormatError} the bytes are not a readable checkpoint (truncated, foreign,
 *   hostile); `CheckpointBudgetError`, a subclass, when reading would exceed `maxBytes`.
 * @throws {UnsafePickleError} the pickle names something a state_dict does not need.
 * @throws {CheckpointArchitectureError} the state_dict is not a BagNet (e.g. a ResNet-50), or a
 *   key is missing, unexpected or of the wrong shape.
 * @throws {ConvertOptionsError} labels, input size, normalisation or strides are unusable.
 * @throws {BagNetAbortError} `signal` was aborted.
 */
export async function convertCheckpoint(bytes: Uint8Array, options: ConvertOptions = {}): Promise<BagNet> {
  const { signal, onProgress } = options;
  const fileName = options.fileName ?? 'checkpoint';
  const what = `convertCheckpoint(${JSON.stringify(fileName)})`;
  throwIfAborted(signal, what);
  if (options.normalization !== undefined) checkNormalization(options.normalization);

  onProgress?.({ stage: 'hash', message: `SHA-256 of ${fileName} (${formatBytes(bytes.length)})` });
  const sha256 = await sha256Hex(bytes);
  throwIfAborted(signal, what);

  onProgress?.({ stage: 'read', message: `reading ${fileName} with the safe unpickler` });
  const info = inspectTorchCheckpoint(bytes, {
    fileName,
    ...(options.maxBytes !== undefined && { maxBytes: options.maxBytes }),
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
  const weights = foldStateDict(info.stateDict, architecture);
  throwIfAborted(signal, what);
  let net: BagNet;
  try {
    net = BagNet.create(architecture, {
      labels,
      inputSize: [inputSize[0], inputSize[1]],
      normalization: options.normalization ?? IMAGENET_NORMALIZATION,
      provenance,
      weights,
    });
  } catch (e) {
    if (e instanceof BagNetError && !(e instanceof BagNetConvertError)) {
      throw new ConvertOptionsError(`${fileName}: ${e.message}`, { cause: e });
    }
    throw e;
  }
  onProgress?.({ stage: 'build', message: `built BagNet-${receptiveField} from ${fileName}` });
  return net;
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

function formatBytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} bytes`;
}
