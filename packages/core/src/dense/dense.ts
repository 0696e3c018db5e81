/**
 * `denseEvidence`: a BagNet's per-pixel heatmap (semantics in dense-evidence.ts; the plan in plan.ts, the network in network.ts, the steps in run.ts) computed exactly,
 * with the arithmetic of the à-trous (dilated) evaluation, and delivered coarse to fine.
 *
 * Method. The network is a stack of valid convolutions; the stride-2 blocks (the first block of
 * stages 1–3) make its total stride S = 8. The heatmap is the network evaluated at every pixel
 * offset of the padded image. We evaluate it in polyphase form ("shift and stitch" without
 * duplicated work): at a stride-2 block entered at cumulative stride D, its input (one phase of
 * the dense feature map) is shifted by (α, β) ∈ {0, 1}² before the strided convolution; the
 * results are the four phases, at offsets (α·D, β·D), of the dense map after the block, and they
 * travel on as a batch through the original, undilated layers. The block's first 1×1 conv runs
 * once, before the shift. Every distinct position of every layer is computed exactly once — the
 * multiply-adds of the à-trous network — with only plain stride-1/2 convolutions.
 *
 * Progressive levels. Level S is phase (0, 0) everywhere: the plain forward pass on the padded
 * image (one evidence-map pass, "instant"). Level s = S/2, S/4, … adds exactly the phases whose
 * offsets are multiples of s but not both of 2s: they branch off at the stride block entered at
 * cumulative stride s, from that block's phase-(0, 0) input, which level S already computed and
 * cached. So all levels together cost what the finest level alone costs.
 *
 * Only the requested classes go through the head (its kernel columns are gathered).
 *
 * Shapes. The padded image gets extra zero rows/columns at the bottom/right until the output has
 * a multiple of S rows and columns; then all phases of a layer have the same size (and batch);
 * the extra samples are dropped. Work runs in steps — a group of sibling phases through one
 * segment (the layers between two stride blocks) — between which the event loop gets a turn
 * (time-sliced), progress is reported and the AbortSignal is checked. Groups are as large as the
 * memory budget allows; an image too large for the budget is split into bands of output rows
 * (each with the input rows its patches need), which then recompute the shared path per level.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor4D } from '@tensorflow/tfjs-core';

import type { BagNet } from '../bagnet.js';
import { throwIfAborted } from '../errors.js';
import type { BagNetImageInput } from '../preprocess.js';
import { checkDenseRequest, densePadding } from './dense-evidence.js';
import type { DenseEvidence } from './dense-evidence.js';
import { DenseNetwork } from './network.js';
import { DEFAULT_DENSE_MEMORY_BUDGET } from './options.js';
import type { DenseEvidenceCallbackOptions, DenseEvidenceOptions } from './options.js';
import { DensePlan } from './plan.js';
import { DenseRun, WHAT } from './run.js';

/**
 * Dense per-pixel evidence, delivered progressively: yields one {@link DenseEvidence} per level,
 * at sample strides 8, 4, 2, 1 (down to `options.stride`), each as soon as it is computed; the
 * last has `isFinal: true`. All levels together cost what the finest alone costs (see the file
 * comment). The values equal the reference's patch-by-patch heatmap (`patchwiseEvidence`) up to
 * float32 rounding, within 1e-4 × max|map| on every backend with 32-bit floats: measured 0
 * (bit-identical) against the oracle on CPU and WASM, and ~2e-6 × max|map| against the float64
 * PyTorch fixtures on WASM, and on WebGL and WebGPU (Chromium/SwiftShader, float32). GPUs limited to
 * 16-bit float textures (some mobile WebGL) were not measured; expect ~1e-3 relative there and use
 * the WASM or CPU backend when exact maps matter.
 *
 * Breaking out of a `for await` loop stops the computation and releases its tensors.
 *
 * @throws {BagNetInputError} for a stride other than 1, 2, 4, 8 (or coarser than the model's),
 *   an empty/duplicate/out-of-range class list, an image smaller than q, or a disposed model.
 * @throws {BagNetAbortError} when `options.signal` aborts; no tensors are left behind.
 */
export async function* denseEvidenceLevels(
  model: BagNet,
  image: BagNetImageInput,
  options: DenseEvidenceOptions,
): AsyncGenerator<DenseEvidence, void, undefined> {
  const request = checkDenseRequest(model, options, WHAT);
  const budget = options.memoryBudget ?? DEFAULT_DENSE_MEMORY_BUDGET;
  throwIfAborted(options.signal, WHAT);
  const x = await model.preprocess(image);
  let padded: Tensor4D | undefined;
  let net: DenseNetwork | undefined;
  let run: DenseRun | undefined;
  try {
    throwIfAborted(options.signal, WHAT);
    const [, height, width] = x.shape;
    net = await DenseNetwork.load(model, request.classes);
    const layout = net.layout;
    const plan = new DensePlan(layout, height, width, request.classes.length, request.stride, budget);
    const { before, after } = densePadding(layout.receptiveField);
    const extraRows = plan.phaseRows * layout.stride - height;
    const extraCols = plan.phaseCols * layout.stride - width;
    padded = tf.pad(x, [
      [0, 0],
      [before, after + extraRows],
      [before, after + extraCols],
      [0, 0],
    ]);
    x.dispose();
    run = new DenseRun(net, plan, height, width, { ...options, classes: request.classes });
    for (const [k, s] of plan.levels.entries()) {
      await run.level(s, padded);
      const isFinal = k === plan.levels.length - 1;
      yield run.result(s, isFinal);
      if (!isFinal) await run.yieldAfterLevel();
    }
  } finally {
    x.dispose();
    padded?.dispose();
    run?.dispose();
    net?.dispose();
  }
}

/**
 * Dense per-pixel evidence of `image` for `options.classes`: resolves with the final map (one
 * value per pixel at the default stride 1, see {@link DenseEvidence}); coarser levels (strides 8,
 * 4, 2) go to `options.onLevel` as soon as they are ready. See {@link denseEvidenceLevels} for
 * exactness, errors and cost.
 */
export async function denseEvidence(
  model: BagNet,
  image: BagNetImageInput,
  options: DenseEvidenceCallbackOptions,
): Promise<DenseEvidence> {
  let last: DenseEvidence | undefined;
  for await (const level of denseEvidenceLevels(model, image, options)) {
    last = level;
    options.onLevel?.(level);
  }
  if (last === undefined) throw new Error(`Internal error: ${WHAT} delivered no level.`);
  return last;
}
