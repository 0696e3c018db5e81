/**
 * Builds a BagNet as a standard tfjs-layers model (BatchNorm folded into conv biases), so tfjs
 * users recognise it: valid Conv2D, Cropping2D for the shortcut, Add, ReLU and a 1×1 Conv2D head
 * applied at every position. Input: normalised NHWC image(s) of any size ≥ q; outputs: the
 * per-patch logit map [N, h, w, C] and the per-patch features [N, h, w, D] the head reads.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import type { SymbolicTensor } from '@tensorflow/tfjs-layers';

import { blockSpecs, layerName, validateArchitecture } from './architecture.js';
import type { BagNetArchitecture } from './architecture.js';

// Weight names and shapes need no tfjs: they live with the architecture (the checkpoint converter
// uses them in a Web Worker without tfjs); re-exported here for the modules that build the graph.
export { foldedWeightSpecs, layerName } from './architecture.js';
export type { WeightSpec } from './architecture.js';

/** The two tfjs models of a BagNet; they share layers (and weights). */
export interface BagNetGraph {
  /** normalised image → logit map [N, h, w, C]. */
  readonly logitModel: tfl.LayersModel;
  /** normalised image → features [N, h, w, D] (the per-patch embeddings). */
  readonly featureModel: tfl.LayersModel;
}

function conv(
  name: string,
  filters: number,
  kernel: number,
  stride: number,
  relu: boolean,
  useBias = true,
): tfl.layers.Layer {
  return tfl.layers.conv2d({
    name: layerName(name),
    filters,
    kernelSize: kernel,
    strides: stride,
    padding: 'valid',
    useBias,
    activation: relu ? 'relu' : 'linear',
    kernelInitializer: 'zeros',
    biasInitializer: 'zeros',
  });
}

/**
 * Builds the folded BagNet graph for `architecture`. Weights start at zero; load them with
 * {@link setFoldedWeights}. The caller owns the models (dispose with `model.dispose()` of each
 * is not needed separately: disposing `logitModel` releases the shared layers).
 */
export function buildBagNetGraph(architecture: BagNetArchitecture): BagNetGraph {
  const a = validateArchitecture(architecture);
  const input = tfl.input({ shape: [null, null, 3], name: 'image', dtype: 'float32' });
  // Stem: 1×1 conv without bias (as the reference), then 3×3 valid conv with folded bn1 + ReLU.
  let x = conv('conv1', a.stemWidth, 1, 1, false, false).apply(input) as SymbolicTensor;
  x = conv('conv2', a.stemWidth, 3, 1, true).apply(x) as SymbolicTensor;
  for (const b of blockSpecs(a)) {
    let y = conv(`${b.key}.conv1`, b.width, 1, 1, true).apply(x) as SymbolicTensor;
    y = conv(`${b.key}.conv2`, b.width, b.kernel, b.stride, true).apply(y) as SymbolicTensor;
    y = conv(`${b.key}.conv3`, b.outChannels, 1, 1, false).apply(y) as SymbolicTensor;
    let skip = b.projection
      ? (conv(`${b.key}.downsample`, b.outChannels, 1, b.stride, false).apply(x) as SymbolicTensor)
      : x;
    if (b.crop > 0) {
      // Keep the top-left part of the shortcut: cut `crop` rows/cols at the bottom/right.
      skip = tfl.layers
        .cropping2D({
          name: layerName(`${b.key}.crop`),
          cropping: [
            [0, b.crop],
            [0, b.crop],
          ],
        })
        .apply(skip) as SymbolicTensor;
    }
    const sum = tfl.layers.add({ name: layerName(`${b.key}.add`) }).apply([y, skip]) as SymbolicTensor;
    x = tfl.layers.reLU({ name: layerName(`${b.key}.relu`) }).apply(sum) as SymbolicTensor;
  }
  const features = x;
  const logits = conv('head', a.numClasses, 1, 1, false).apply(features) as SymbolicTensor;
  return {
    logitModel: tfl.model({ inputs: input, outputs: logits, name: 'bagnet' }),
    featureModel: tfl.model({ inputs: input, outputs: features, name: 'bagnet_features' }),
  };
}
