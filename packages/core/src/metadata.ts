/**
 * The `bagnet` metadata stored in a model.json's `userDefinedMetadata`, and its validation.
 */
import { receptiveFieldOf, validateArchitecture } from './architecture.js';
import type { BagNetArchitecture } from './architecture.js';
import { BagNetError, BagNetFormatError, brief } from './errors.js';

/** Version of the metadata schema this package writes and reads. */
export const METADATA_VERSION = 1;

/** ImageNet normalisation used by the published BagNets (RGB, after scaling to [0, 1]). */
export const IMAGENET_NORMALIZATION: Normalization = {
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  channelOrder: 'RGB',
};

/** How pixels are normalised before the network: `((pixel / 255) - mean) / std` per channel. */
export interface Normalization {
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  readonly channelOrder: 'RGB';
}

/** Where a model came from. */
export interface Provenance {
  /** e.g. the checkpoint's file name, or `random-init`. */
  readonly source: string;
  /** SHA-256 (hex) of the source file, when known. */
  readonly sha256?: string;
  /** Tool and version that wrote the model. */
  readonly convertedBy?: string;
  /** ISO 8601 date of conversion. */
  readonly date?: string;
  /** Free-form notes (dataset, training run, licence). */
  readonly notes?: string;
}

/** The `bagnet` entry of a model.json's `userDefinedMetadata`. */
export interface BagNetMetadata {
  readonly formatVersion: number;
  /** Receptive field q in pixels (derived from the architecture; stored for readers). */
  readonly receptiveField: number;
  /** Total stride of the evidence map in pixels. */
  readonly stride: number;
  readonly architecture: BagNetArchitecture;
  /** One label per class. */
  readonly labels: readonly string[];
  /** The image size the model was trained at, [height, width]; any size ≥ q works. */
  readonly inputSize: readonly [number, number];
  readonly normalization: Normalization;
  /** BatchNorm is folded into conv biases (always true for this format). */
  readonly batchNormFolded: true;
  readonly provenance: Provenance;
}

function fail(path: string, what: string): never {
  throw new BagNetFormatError(
    `Invalid bagnet metadata at ${path}: ${what}. Re-create the model with @bagnet-vis/convert or saveBagNet().`,
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numbers(v: unknown, n: number, path: string, ok: (x: number) => boolean): number[] {
  if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number' && ok(x))) {
    fail(path, `expected ${n} valid numbers, got ${brief(JSON.stringify(v))}`);
  }
  return v as number[];
}

/**
 * Checks untrusted metadata (from a model.json) and returns it typed. `where` names the file in
 * error messages.
 */
export function parseBagNetMetadata(raw: unknown, where: string): BagNetMetadata {
  if (!isObject(raw)) {
    throw new BagNetFormatError(
      `${where} has no "userDefinedMetadata.bagnet" entry, so it is not a bagnet-vis model. ` +
        'Convert a BagNet checkpoint with `bagnet convert <file> --out <dir>` or save one with saveBagNet().',
    );
  }
  const p = `${where}: userDefinedMetadata.bagnet`;
  if (raw['formatVersion'] !== METADATA_VERSION) {
    fail(`${p}.formatVersion`, `expected ${METADATA_VERSION}, got ${brief(JSON.stringify(raw['formatVersion']))}`);
  }
  const arch = raw['architecture'];
  if (!isObject(arch)) fail(`${p}.architecture`, 'missing');
  let architecture: BagNetArchitecture;
  try {
    const int = (x: number) => Number.isInteger(x) && x >= 0;
    architecture = validateArchitecture({
      stemWidth: Number(arch['stemWidth']),
      stageWidths: numbers(
        arch['stageWidths'],
        4,
        `${p}.architecture.stageWidths`,
        int,
      ) as unknown as BagNetArchitecture['stageWidths'],
      blocks: numbers(arch['blocks'], 4, `${p}.architecture.blocks`, int) as unknown as BagNetArchitecture['blocks'],
      stageStrides: numbers(
        arch['stageStrides'],
        4,
        `${p}.architecture.stageStrides`,
        int,
      ) as unknown as BagNetArchitecture['stageStrides'],
      kernel3: numbers(
        arch['kernel3'],
        4,
        `${p}.architecture.kernel3`,
        int,
      ) as unknown as BagNetArchitecture['kernel3'],
      numClasses: Number(arch['numClasses']),
    });
  } catch (e) {
    if (e instanceof BagNetFormatError || !(e instanceof BagNetError)) throw e;
    fail(`${p}.architecture`, e.message.replace(/\.$/, ''));
  }
  const geo = receptiveFieldOf(architecture);
  if (raw['receptiveField'] !== geo.receptiveField || raw['stride'] !== geo.stride) {
    fail(
      p,
      `receptiveField/stride ${brief(JSON.stringify(raw['receptiveField']), 40)}/${brief(JSON.stringify(raw['stride']), 40)} ` +
        `do not match the architecture (${geo.receptiveField}/${geo.stride})`,
    );
  }
  const labels = raw['labels'];
  if (
    !Array.isArray(labels) ||
    labels.length !== architecture.numClasses ||
    !labels.every((l) => typeof l === 'string')
  ) {
    fail(`${p}.labels`, `expected ${architecture.numClasses} strings (one per class)`);
  }
  const inputSize = numbers(
    raw['inputSize'],
    2,
    `${p}.inputSize`,
    (x) => Number.isInteger(x) && x >= geo.receptiveField,
  );
  const norm = raw['normalization'];
  if (!isObject(norm)) fail(`${p}.normalization`, 'missing');
  const mean = numbers(norm['mean'], 3, `${p}.normalization.mean`, Number.isFinite);
  const std = numbers(norm['std'], 3, `${p}.normalization.std`, (x) => Number.isFinite(x) && x > 0);
  if (norm['channelOrder'] !== 'RGB') fail(`${p}.normalization.channelOrder`, 'only "RGB" is supported');
  if (raw['batchNormFolded'] !== true) fail(`${p}.batchNormFolded`, 'must be true');
  const prov = raw['provenance'];
  if (!isObject(prov) || typeof prov['source'] !== 'string') fail(`${p}.provenance.source`, 'missing');
  const str = (k: string) => (typeof prov[k] === 'string' ? (prov[k] as string) : undefined);
  const provenance: Provenance = {
    source: prov['source'] as string,
    ...(str('sha256') !== undefined && { sha256: str('sha256') }),
    ...(str('convertedBy') !== undefined && { convertedBy: str('convertedBy') }),
    ...(str('date') !== undefined && { date: str('date') }),
    ...(str('notes') !== undefined && { notes: str('notes') }),
  };
  return {
    formatVersion: METADATA_VERSION,
    receptiveField: geo.receptiveField,
    stride: geo.stride,
    architecture,
    labels: labels as string[],
    inputSize: [inputSize[0]!, inputSize[1]!],
    normalization: { mean: [mean[0]!, mean[1]!, mean[2]!], std: [std[0]!, std[1]!, std[2]!], channelOrder: 'RGB' },
    batchNormFolded: true,
    provenance,
  };
}

/** Options to describe a model when creating metadata. */
export interface BagNetMetadataOptions {
  labels?: readonly string[];
  inputSize?: readonly [number, number];
  normalization?: Normalization;
  provenance?: Provenance;
}

/** Metadata for `architecture`, with defaults: labels `class 0…`, 224², ImageNet normalisation. */
export function createBagNetMetadata(
  architecture: BagNetArchitecture,
  options: BagNetMetadataOptions = {},
): BagNetMetadata {
  const geo = receptiveFieldOf(validateArchitecture(architecture));
  const labels = options.labels ?? Array.from({ length: architecture.numClasses }, (_, i) => `class ${i}`);
  const meta = {
    formatVersion: METADATA_VERSION,
    receptiveField: geo.receptiveField,
    stride: geo.stride,
    architecture,
    labels: [...labels],
    inputSize: options.inputSize ?? [224, 224],
    normalization: options.normalization ?? IMAGENET_NORMALIZATION,
    batchNormFolded: true as const,
    provenance: options.provenance ?? { source: 'unknown' },
  };
  // Round-trip through the parser so invalid options fail here, not when loading later.
  return parseBagNetMetadata(JSON.parse(JSON.stringify(meta)) as unknown, 'createBagNetMetadata()');
}
