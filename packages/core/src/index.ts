export {
  bagnetArchitecture,
  blockSpecs,
  featureChannels,
  KERNEL3_BY_Q,
  outputSide,
  PatchGeometry,
  receptiveFieldOf,
  scaleWidth,
  validateArchitecture,
  BN_EPSILON,
  EXPANSION,
} from './architecture.js';
export type {
  BagNetArchitecture,
  BagNetArchitectureOptions,
  BlockSpec,
  PatchRect,
  StandardReceptiveField,
} from './architecture.js';
export { BACKENDS, pickBestBackend, useBackend } from './backend.js';
export type { BackendChoice, BackendName, BackendOptions } from './backend.js';
export { BagNet } from './bagnet.js';
export { forwardMacs } from './cost.js';
export type { PatchEmbeddings, RunOptions, WeightValue } from './bagnet.js';
export { buildBagNetGraph, foldedWeightSpecs, layerName } from './build.js';
export type { BagNetGraph, WeightSpec } from './build.js';
export {
  BagNetAbortError,
  BagNetBackendError,
  BagNetError,
  BagNetFormatError,
  BagNetInputError,
  throwIfAborted,
} from './errors.js';
export { EvidenceMap } from './evidence-map.js';
export type { ClassScore, EvidenceMapData, EvidenceSplit, PatchEvidence } from './evidence-map.js';
export {
  filesReader,
  FORMAT_WRITER,
  loadBagNet,
  loadBagNetFrom,
  parseModelJson,
  saveBagNet,
  serializeBagNet,
  SHARD_BYTES,
  urlReader,
} from './io.js';
export type { BagNetFiles, BagNetModelJson, BagNetSource, LoadOptions, LoadProgress, ModelFileReader } from './io.js';
export { createBagNetMetadata, IMAGENET_NORMALIZATION, METADATA_VERSION, parseBagNetMetadata } from './metadata.js';
export type { BagNetMetadata, BagNetMetadataOptions, Normalization, Provenance } from './metadata.js';
export { MAX_IMAGE_PIXELS, normalizePixels, readPixels } from './preprocess.js';
export type { BagNetImageInput, RawImage } from './preprocess.js';
