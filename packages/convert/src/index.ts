export {
  BagNetConvertError,
  CheckpointArchitectureError,
  CheckpointBudgetError,
  CheckpointFormatError,
  ConvertOptionsError,
  UnsafePickleError,
} from './errors.js';
export type { CheckpointLocation } from './errors.js';
export {
  bagnetFromConverted,
  bagnetFromStateDict,
  convertCheckpoint,
  CONVERTER,
  describeCheckpoint,
} from './convert.js';
export type { ConvertOptions, ConvertProgress, FromStateDictOptions } from './convert.js';
export { convertCheckpointWeights } from './convert-weights.js';
export type { ConvertedCheckpoint } from './convert-weights.js';
export { CheckpointConverter, convertInWorker } from './checkpoint-converter.js';
export type { CheckpointConverterOptions, WorkerConvertCallOptions } from './checkpoint-converter.js';
export type { WorkerConvertOptions, WorkerConvertProgress } from './worker-protocol.js';
export { IMAGENET_LABELS } from './imagenet-labels.js';
export { parseLabels } from './labels.js';
export {
  ALLOWED_PICKLE_GLOBALS,
  MAX_PICKLE_VALUES,
  PickleCallable,
  PickleObject,
  PickleTuple,
  TorchStorageType,
  TorchTensorRef,
  describeValue,
  unpickle,
} from './pickle.js';
export type { PickleDict, PickleList, PickleSet, PickleValue, UnpickleOptions, UnpickleResult } from './pickle.js';
export { DEFAULT_MAX_CHECKPOINT_BYTES, inspectTorchCheckpoint, readTorchCheckpoint } from './torch-checkpoint.js';
export type {
  ReadTorchCheckpointOptions,
  StateDict,
  StateDictWrapperKey,
  TorchCheckpointInfo,
  TorchDType,
  TorchTensor,
} from './torch-checkpoint.js';
export { checkStateDict, foldStateDict, inferArchitecture, referenceStateDictShapes } from './bagnet-weights.js';
export type { FoldedWeight, FoldOptions, InferOptions } from './bagnet-weights.js';
