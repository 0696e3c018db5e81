export {
  bagnetArchitecture,
  blockSpecs,
  featureChannels,
  foldedWeightSpecs,
  KERNEL3_BY_Q,
  layerName,
  MAX_BLOCKS_PER_STAGE,
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
  WeightSpec,
} from './architecture.js';
export { BACKEND_NAMES, BACKENDS } from './backend-name.js';
export type { BackendName } from './backend-name.js';
export {
  forgetBackendChoice,
  isCrossOriginIsolated,
  isWebGLContextLost,
  pickBestBackend,
  PROBE_BUDGET_MS,
  resetWebGLBackend,
  useBackend,
  wasmThreadCount,
  watchWebGLContext,
} from './backend.js';
export type {
  BackendChoice,
  BackendChoiceCode,
  BackendOptions,
  BackendSkipCode,
  PickBackendOptions,
  SkippedBackend,
  WebGLContextListener,
} from './backend.js';
export { PROBE_MACS } from './backend-probe.js';
export type { BackendProbe } from './backend-probe.js';
export { currentWebGLRenderer, currentWebGPURenderer, softwareRendererName } from './gpu-renderer.js';
export type { GpuRenderer } from './gpu-renderer.js';
export { BagNet } from './bagnet.js';
export { forwardMacs } from './cost.js';
export type { PatchEmbeddings, RunOptions, WeightValue } from './bagnet.js';
export { buildBagNetGraph } from './build.js';
export type { BagNetGraph } from './build.js';
export {
  BagNetAbortError,
  BagNetBackendError,
  BagNetError,
  BagNetFormatError,
  BagNetInputError,
  printable,
  raceAbort,
  throwIfAborted,
} from './errors.js';
export type { BagNetBackendErrorCode } from './errors.js';
export { EvidenceMap } from './evidence-map.js';
export type { ClassScore, EvidenceMapData } from './evidence-map.js';
export { ClassEvidence, patchContribution } from './evidence/class-evidence.js';
export type {
  ClassEvidenceInput,
  EvidenceDistribution,
  EvidenceSplit,
  PatchEvidence,
} from './evidence/class-evidence.js';
export {
  absPercentile,
  clipPercentileOf,
  clipScale,
  DEFAULT_CLIP_PERCENTILE,
  sharedClassClipScale,
  sharedClipScale,
} from './evidence/clip-scale.js';
export type { ClipScale, EvidenceDomain } from './evidence/clip-scale.js';
export {
  colormap,
  colormapName,
  DEFAULT_COLORMAP,
  DIVERGING_COLORMAPS,
  divergingLutIndex,
  isColormapName,
  LUT_SIZE,
  SEQUENTIAL_COLORMAPS,
} from './evidence/colormap.js';
export type { Colormap, ColormapName, DivergingColormapName, SequentialColormapName } from './evidence/colormap.js';
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
export { DENSE_STRIDES, DenseEvidence, densePadding } from './dense/dense-evidence.js';
export type { DenseEvidenceData, DenseStride } from './dense/dense-evidence.js';
export { denseEvidence, denseEvidenceLevels } from './dense/dense.js';
export { DEFAULT_DENSE_MEMORY_BUDGET } from './dense/options.js';
export type { DenseEvidenceCallbackOptions, DenseEvidenceOptions, DenseProgress } from './dense/options.js';
export { denseEvidenceMacs } from './dense/plan.js';
export { DEFAULT_PATCH_BATCH, patchwiseEvidence, patchwiseEvidenceMacs } from './dense/patchwise.js';
export type { PatchwiseOptions, PatchwiseProgress } from './dense/patchwise.js';
export { DEFAULT_YIELD_INTERVAL_MS, TimeSlicer, yieldToEventLoop } from './scheduling.js';
export { bagnetClassifier, modelClassifier, readAnalysisImage } from './analyses/classifier.js';
export type { AnalysisImage, AnalysisOptions, AnalysisProgress, ImageClassifier } from './analyses/classifier.js';
export { DEFAULT_FILL, occlude } from './analyses/occlusion.js';
export { maskingCurve } from './analyses/masking.js';
export { DEFAULT_MASK_FRACTIONS, maskFractionsForPatches, maskingByArea } from './analyses/area-masking.js';
export type { AreaMaskingOptions, AreaMaskingResult, MaskingSample } from './analyses/area-masking.js';
export type { MaskingCurve, MaskingOptions } from './analyses/masking.js';
export { logitLinearity } from './analyses/linearity.js';
export type { LinearityOptions, LinearityResult } from './analyses/linearity.js';
export { scrambleTiles, scramblingTest } from './analyses/scrambling.js';
export type { ScramblingOptions, ScramblingResult } from './analyses/scrambling.js';
export { minePatches, PatchMiner } from './analyses/patch-mining.js';
export type {
  MinedClass,
  MinedPatch,
  MiningOptions,
  MiningProgress,
  PatchMinerOptions,
} from './analyses/patch-mining.js';
export {
  MINED_PATCHES_FORMAT,
  MINED_PATCHES_VERSION,
  mergeMinedPatches,
  minedClassRecords,
  minedPatchRecord,
  minedPatchRect,
  minerFrom,
  parseMinedPatches,
  shardIndices,
  shardSize,
} from './analyses/mined-patches.js';
export type { MinedClassRecord, MinedPatchesFile, MinedPatchRecord, ShardSpec } from './analyses/mined-patches.js';
export { accuracyRate, CertifiedAccuracyTally, certifiedAccuracyProblem } from './analyses/certified-accuracy.js';
export type { AccuracyCounts, CertifiedAccuracy, ClassAccuracy } from './analyses/certified-accuracy.js';
export { randomPermutation, seededRandom } from './analyses/random.js';
export { fineTuneHead, HEAD_TRAINING_DEFAULTS } from './training/fine-tune.js';
export {
  canTrainConvolutions,
  CONVOLUTION_GRADIENT_KERNELS,
  FULL_TRAINING_DEFAULTS,
  trainBagNet,
} from './training/train.js';
export type {
  LabelledImage,
  LabelledImages,
  TrainingDefaults,
  TrainingOptions,
  TrainingResult,
} from './training/options.js';
export type {
  EpochMetrics,
  EpochProgress,
  PrepareProgress,
  StepProgress,
  TrainingProgress,
} from './training/progress.js';
export {
  cellWindow,
  CLIPPED_BAGNET_TANH,
  patchRobustness,
  patchWindowCells,
  ROBUSTNESS_METHODS,
} from './evidence/robustness.js';
export type {
  CellWindow,
  PatchRobustness,
  PatchRobustnessOptions,
  RobustnessMethod,
  WorstWindow,
} from './evidence/robustness.js';
