/**
 * One call from the bytes of a PyTorch BagNet checkpoint to a ready @bagnet-vis/core BagNet with
 * complete metadata (labels, input size, normalisation, provenance). Runs in browsers and Node:
 * the input is a `Uint8Array`, the hash comes from WebCrypto. The reading and folding live in
 * convert-weights.ts (no tfjs, also run by the Web Worker); this module builds the tfjs model.
 */
import { BagNet, BagNetError } from '@bagnet-vis/core';
import type { BagNetMetadataOptions } from '@bagnet-vis/core';

import { checkStateDict, foldStateDict, inferArchitecture } from './bagnet-weights.js';
import type { InferOptions } from './bagnet-weights.js';
import { convertCheckpointWeights } from './convert-weights.js';
import type { ConvertedCheckpoint, ConvertOptions } from './convert-weights.js';
import { BagNetConvertError, ConvertOptionsError } from './errors.js';
import type { StateDict } from './torch-checkpoint.js';

export { CONVERTER, describeCheckpoint } from './convert-weights.js';
export type { ConvertOptions, ConvertProgress } from './convert-weights.js';

/**
 * Converts a PyTorch BagNet checkpoint (the published `bagnet8/16/32-*.pth.tar` files or any
 * state_dict with the reference key names) to a BagNet: reads it with the safe unpickler, infers
 * and checks the architecture, folds BatchNorm and transposes the weights, and records provenance
 * (file name, SHA-256, converter, date). The caller disposes the result. Runs on the calling
 * thread; `CheckpointConverter` runs the reading and folding in a Web Worker.
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
  const converted = await convertCheckpointWeights(bytes, options);
  const net = bagnetFromConverted(converted);
  const { receptiveField } = net.metadata;
  options.onProgress?.({
    stage: 'build',
    message: `built BagNet-${receptiveField} from ${converted.provenance.source}`,
  });
  return net;
}

/**
 * The BagNet of a converted checkpoint (from `convertCheckpointWeights` or a
 * `CheckpointConverter`). Builds the tfjs model on the calling thread; the caller disposes it.
 *
 * @throws {ConvertOptionsError} core refuses the metadata (e.g. labels).
 */
export function bagnetFromConverted(converted: ConvertedCheckpoint): BagNet {
  try {
    return BagNet.create(converted.architecture, {
      ...(converted.labels !== undefined && { labels: converted.labels }),
      inputSize: converted.inputSize,
      normalization: converted.normalization,
      provenance: converted.provenance,
      weights: converted.weights,
    });
  } catch (e) {
    if (e instanceof BagNetError && !(e instanceof BagNetConvertError)) {
      throw new ConvertOptionsError(`${converted.provenance.source}: ${e.message}`, { cause: e });
    }
    throw e;
  }
}

/** Options of {@link bagnetFromStateDict}. */
export interface FromStateDictOptions extends InferOptions, BagNetMetadataOptions {}

/** A core BagNet from a reference state_dict (keys already unwrapped / unprefixed). */
export function bagnetFromStateDict(sd: StateDict, options: FromStateDictOptions = {}): BagNet {
  const architecture = inferArchitecture(sd, options);
  checkStateDict(sd, architecture);
  const weights = foldStateDict(sd, architecture);
  return BagNet.create(architecture, { ...options, weights });
}
