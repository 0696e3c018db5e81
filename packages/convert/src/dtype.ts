/** Element types of torch storages, shared by the unpickler and the checkpoint reader. */

/** Element type of a stored tensor. */
export type TorchDType =
  'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** Bytes per element of each storage type. */
export const ELEMENT_SIZE: Readonly<Record<TorchDType, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};
