/**
 * Maps a reference BagNet state_dict (PyTorch layout, key names of bagnets/pytorchnet.py) to
 * @bagnet-vis/core's folded model: infers the architecture, checks every key and shape, folds
 * BatchNorm into conv biases (eps 1e-5) and transposes OIHW → HWIO and fc → 1×1 head.
 */
import {
  blockSpecs,
  BN_EPSILON,
  featureChannels,
  foldedWeightSpecs,
  layerName,
  validateArchitecture,
} from '@bagnet-vis/core';
import type { BagNetArchitecture } from '@bagnet-vis/core';

import { CheckpointArchitectureError, printable } from './errors.js';
import type { StateDict, TorchTensor } from './torch-checkpoint.js';

/** Options of {@link inferArchitecture}. */
export interface InferOptions {
  /** Stage strides; a checkpoint does not record them. Default [2, 2, 2, 1] (the published models). */
  stageStrides?: readonly [number, number, number, number];
}

function shapeOf(sd: StateDict, key: string): readonly number[] | undefined {
  return sd.get(key)?.shape;
}

function fail(msg: string): never {
  throw new CheckpointArchitectureError(msg);
}

/** Infers the BagNet architecture (q, widths, blocks, classes) from state_dict shapes. */
export function inferArchitecture(sd: StateDict, options: InferOptions = {}): BagNetArchitecture {
  const stem = shapeOf(sd, 'conv1.weight');
  const fc = shapeOf(sd, 'fc.weight');
  if (stem === undefined || fc === undefined) {
    const keys = [...sd.keys()];
    fail(
      `Not a BagNet state_dict: ${stem === undefined ? 'conv1.weight' : 'fc.weight'} is missing ` +
        `(found ${keys.length} keys${
          keys.length
            ? `, e.g. ${keys
                .slice(0, 4)
                .map((k) => printable(k, 60))
                .join(', ')}`
            : ''
        }).`,
    );
  }
  if (stem.length === 4 && stem[1] === 3 && stem[2] === 7 && stem[3] === 7) {
    fail(
      `Not a BagNet: this is a ResNet checkpoint (conv1.weight is a 7×7 conv [${stem.join(', ')}]). ` +
        `A BagNet's stem is a 1×1 conv [width, 3, 1, 1]; use bagnet8/16/32-*.pth.tar (BagNet-9/17/33).`,
    );
  }
  if (stem.length !== 4 || stem[1] !== 3 || stem[2] !== 1 || stem[3] !== 1) {
    fail(
      `Not a BagNet: conv1.weight has shape [${stem.join(', ')}], but a BagNet's stem starts with a 1×1 conv ` +
        `[width, 3, 1, 1] (a ResNet-50 has a 7×7 conv1 [64, 3, 7, 7]).`,
    );
  }
  const blocks: number[] = [];
  const kernel3: number[] = [];
  const widths: number[] = [];
  for (let s = 1; s <= 4; s++) {
    let n = 0;
    while (sd.has(`layer${s}.${n}.conv1.weight`)) n++;
    if (n === 0) fail(`Not a BagNet state_dict: no blocks in stage ${s} (layer${s}.0.conv1.weight is missing).`);
    blocks.push(n);
    widths.push(shapeOf(sd, `layer${s}.0.conv1.weight`)![0]!);
    const ks = Array.from({ length: n }, (_, b) => shapeOf(sd, `layer${s}.${b}.conv2.weight`)?.[2] ?? -1);
    const k3 = ks.filter((k) => k === 3).length;
    if (!ks.every((k, b) => k === (b < k3 ? 3 : 1))) {
      fail(
        `Not a BagNet: the middle-conv kernel sizes of stage ${s} are [${ks.join(', ')}]; expected leading 3s then 1s.`,
      );
    }
    kernel3.push(k3);
  }
  try {
    return validateArchitecture({
      stemWidth: stem[0]!,
      stageWidths: widths as unknown as BagNetArchitecture['stageWidths'],
      blocks: blocks as unknown as BagNetArchitecture['blocks'],
      stageStrides: (options.stageStrides ?? [2, 2, 2, 1]) as BagNetArchitecture['stageStrides'],
      kernel3: kernel3 as unknown as BagNetArchitecture['kernel3'],
      numClasses: fc[0]!,
    });
  } catch (e) {
    fail(`Not a valid BagNet architecture: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The reference's state_dict keys and shapes for an architecture (without num_batches_tracked). */
export function referenceStateDictShapes(a: BagNetArchitecture): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const conv = (k: string, o: number, i: number, s: number) => out.set(`${k}.weight`, [o, i, s, s]);
  const bn = (k: string, c: number) => {
    for (const p of ['weight', 'bias', 'running_mean', 'running_var']) out.set(`${k}.${p}`, [c]);
  };
  conv('conv1', a.stemWidth, 3, 1);
  conv('conv2', a.stemWidth, a.stemWidth, 3);
  bn('bn1', a.stemWidth);
  for (const b of blockSpecs(a)) {
    conv(`${b.key}.conv1`, b.width, b.inChannels, 1);
    bn(`${b.key}.bn1`, b.width);
    conv(`${b.key}.conv2`, b.width, b.width, b.kernel);
    bn(`${b.key}.bn2`, b.width);
    conv(`${b.key}.conv3`, b.outChannels, b.width, 1);
    bn(`${b.key}.bn3`, b.outChannels);
    if (b.projection) {
      conv(`${b.key}.downsample.0`, b.outChannels, b.inChannels, 1);
      bn(`${b.key}.downsample.1`, b.outChannels);
    }
  }
  out.set('fc.weight', [a.numClasses, featureChannels(a)]);
  out.set('fc.bias', [a.numClasses]);
  return out;
}

/** Checks keys and shapes against the architecture; names every mismatch. */
export function checkStateDict(sd: StateDict, a: BagNetArchitecture): void {
  const want = referenceStateDictShapes(a);
  const keys = [...sd.keys()].filter((k) => !k.endsWith('num_batches_tracked'));
  const missing = [...want.keys()].filter((k) => !sd.has(k));
  const unexpected = keys.filter((k) => !want.has(k));
  const list = (xs: string[]) =>
    `${xs
      .slice(0, 10)
      .map((x) => printable(x, 60))
      .join(', ')}${xs.length > 10 ? ` and ${xs.length - 10} more` : ''}`;
  if (missing.length || unexpected.length) {
    fail(
      `The state_dict does not match a BagNet (q=${receptive(a)}, blocks [${a.blocks.join(', ')}]): ` +
        [
          missing.length ? `missing keys: ${list(missing)}` : '',
          unexpected.length ? `unexpected keys: ${list(unexpected)}` : '',
        ]
          .filter(Boolean)
          .join('; ') +
        '.',
    );
  }
  for (const [k, shape] of want) {
    const got = sd.get(k)!.shape;
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
      fail(`State_dict key ${k} has shape [${got.join(', ')}], expected [${shape.join(', ')}] for this BagNet.`);
    }
  }
}

function receptive(a: BagNetArchitecture): number {
  let rf = 3;
  let jump = 1;
  for (const b of blockSpecs(a)) {
    if (b.kernel === 3) rf += 2 * jump;
    jump *= b.stride;
  }
  return rf;
}

/** OIHW conv weight (optionally scaled per output channel) → HWIO. */
function toHwio(t: TorchTensor, scale?: Float64Array): FoldedWeight {
  const [o, i, h, w] = t.shape as [number, number, number, number];
  const out = new Float32Array(o * i * h * w);
  const src = t.data;
  for (let oo = 0; oo < o; oo++) {
    const s = scale ? scale[oo]! : 1;
    for (let ii = 0; ii < i; ii++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          out[((y * w + x) * i + ii) * o + oo] = src[((oo * i + ii) * h + y) * w + x]! * s;
        }
      }
    }
  }
  return { data: out, shape: [h, w, i, o] };
}

/** BN → per-channel scale γ/√(σ²+ε) and bias β − μ·scale, in float64. */
function bnFold(sd: StateDict, key: string): { scale: Float64Array; bias: Float32Array } {
  const g = sd.get(`${key}.weight`)!.data;
  const b = sd.get(`${key}.bias`)!.data;
  const m = sd.get(`${key}.running_mean`)!.data;
  const v = sd.get(`${key}.running_var`)!.data;
  const scale = new Float64Array(g.length);
  const bias = new Float32Array(g.length);
  for (let c = 0; c < g.length; c++) {
    if (!(v[c]! >= 0)) fail(`${key}.running_var[${c}] = ${v[c]!} is not a variance (must be ≥ 0).`);
    scale[c] = g[c]! / Math.sqrt(v[c]! + BN_EPSILON);
    bias[c] = b[c]! - m[c]! * scale[c]!;
  }
  return { scale, bias };
}

/** A folded weight: float32 data of its own (never a view of another array) and its shape. */
export interface FoldedWeight {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** Options of {@link foldStateDict}. */
export interface FoldOptions {
  /** Called after each folded weight (`done` of `total`), for progress bars. */
  readonly onWeight?: (done: number, total: number) => void;
}

/**
 * The folded core weights (names of `foldedWeightSpecs`) of a checked state_dict. Needs no tfjs:
 * `BagNet.create(architecture, { weights })` takes the result.
 */
export function foldStateDict(
  sd: StateDict,
  a: BagNetArchitecture,
  options: FoldOptions = {},
): Map<string, FoldedWeight> {
  for (const [k, t] of sd) {
    for (const x of t.data) {
      if (!Number.isFinite(x)) fail(`State_dict key ${k} contains NaN or infinite values.`);
    }
  }
  const out = new Map<string, FoldedWeight>();
  const total = foldedWeightSpecs(a).length;
  const set = (name: string, weight: FoldedWeight) => {
    out.set(name, weight);
    options.onWeight?.(out.size, total);
  };
  const put = (name: string, convKey: string, bnKey?: string) => {
    const l = layerName(name);
    if (bnKey === undefined) {
      set(`${l}/kernel`, toHwio(sd.get(`${convKey}.weight`)!));
      return;
    }
    const { scale, bias } = bnFold(sd, bnKey);
    set(`${l}/kernel`, toHwio(sd.get(`${convKey}.weight`)!, scale));
    set(`${l}/bias`, { data: bias, shape: [bias.length] });
  };
  put('conv1', 'conv1');
  put('conv2', 'conv2', 'bn1');
  for (const b of blockSpecs(a)) {
    put(`${b.key}.conv1`, `${b.key}.conv1`, `${b.key}.bn1`);
    put(`${b.key}.conv2`, `${b.key}.conv2`, `${b.key}.bn2`);
    put(`${b.key}.conv3`, `${b.key}.conv3`, `${b.key}.bn3`);
    if (b.projection) put(`${b.key}.downsample`, `${b.key}.downsample.0`, `${b.key}.downsample.1`);
  }
  const fcw = sd.get('fc.weight')!;
  const [c, d] = fcw.shape as [number, number];
  const head = new Float32Array(d * c);
  for (let k = 0; k < c; k++) for (let j = 0; j < d; j++) head[j * c + k] = fcw.data[k * d + j]!;
  set('head/kernel', { data: head, shape: [1, 1, d, c] });
  set('head/bias', { data: Float32Array.from(sd.get('fc.bias')!.data), shape: [c] });
  if (total !== out.size) throw new Error(`Internal error: folded ${out.size} weights, core expects ${total}.`);
  return out;
}
