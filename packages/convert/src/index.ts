export { BagNetConvertError, CheckpointFormatError, UnsafePickleError } from './errors.js';
export type { CheckpointLocation } from './errors.js';
export {
  ALLOWED_PICKLE_GLOBALS,
  PickleCallable,
  PickleObject,
  PickleTuple,
  TorchStorageType,
  TorchTensorRef,
  describeValue,
  unpickle,
} from './pickle.js';
export type { PickleDict, PickleList, PickleSet, PickleValue, UnpickleOptions, UnpickleResult } from './pickle.js';
export { inspectTorchCheckpoint, readTorchCheckpoint } from './torch-checkpoint.js';
export type {
  ReadTorchCheckpointOptions,
  StateDict,
  StateDictWrapperKey,
  TorchCheckpointInfo,
  TorchDType,
  TorchTensor,
} from './torch-checkpoint.js';
export {
  bagnetFromStateDict,
  checkStateDict,
  CheckpointArchitectureError,
  foldStateDict,
  inferArchitecture,
  referenceStateDictShapes,
} from './bagnet-weights.js';
export type { FromStateDictOptions, InferOptions } from './bagnet-weights.js';
