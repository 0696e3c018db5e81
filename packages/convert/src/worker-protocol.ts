/**
 * The messages between `CheckpointConverter` (page) and convert.worker.ts (module Web Worker), and
 * how errors cross: a worker can post only plain data, so each error travels as its class name,
 * message and fields, and the page rebuilds the same typed error with the same message.
 * @internal
 */
import { BagNetAbortError, BagNetError } from '@bagnet-vis/core';

import type { ConvertedCheckpoint, ConvertOptions } from './convert-weights.js';
import {
  BagNetConvertError,
  CheckpointArchitectureError,
  CheckpointBudgetError,
  CheckpointFormatError,
  ConvertOptionsError,
  UnsafePickleError,
} from './errors.js';

/** A step of a conversion in the worker, with counts of what is done. */
export interface WorkerConvertProgress {
  /**
   * `load`: the file is read into the worker (bytes); `hash`: its SHA-256 (bytes, 0 then all);
   * `read`: tensors read as float32 (distinct tensors); `fold`: BatchNorm folded and kernels
   * transposed (core weights).
   */
  readonly stage: 'load' | 'hash' | 'read' | 'fold';
  /** Units of this stage done so far (non-decreasing within the stage). */
  readonly done: number;
  /** Units of this stage in all. */
  readonly total: number;
  readonly unit: 'bytes' | 'tensors' | 'weights';
  /** The whole conversion done so far, from 0 to 1, non-decreasing; 1 at the last event. */
  readonly fraction: number;
  /** One line for humans, e.g. `reading tensor 40 of 161`. */
  readonly message: string;
}

/** The options of `convertCheckpoint` that travel to the worker (everything but callbacks). */
export type WorkerConvertOptions = Omit<ConvertOptions, 'signal' | 'onProgress'>;

/** Page → worker. */
export interface ConvertRequest {
  readonly type: 'convert';
  readonly id: number;
  /** A Blob (or File) is read by the worker; bytes arrive copied or transferred. */
  readonly input: Blob | Uint8Array;
  readonly options: WorkerConvertOptions;
}

/** Worker → page. */
export type ConvertResponse =
  | { readonly type: 'progress'; readonly id: number; readonly progress: WorkerConvertProgress }
  | { readonly type: 'done'; readonly id: number; readonly result: ConvertedCheckpoint }
  | { readonly type: 'error'; readonly id: number; readonly error: SerializedError };

/** An error as plain data: its class (by name), message and the fields of that class. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly offset?: number;
  readonly record?: string;
  readonly limit?: number;
  readonly requested?: number;
  readonly global?: string;
  readonly opcode?: string;
}

/** `e` as plain data for postMessage. */
export function serializeError(e: unknown): SerializedError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const out: { -readonly [K in keyof SerializedError]: SerializedError[K] } = { name: e.name, message: e.message };
  if (e instanceof CheckpointFormatError) {
    if (e.offset !== undefined) out.offset = e.offset;
    if (e.record !== undefined) out.record = e.record;
  }
  if (e instanceof CheckpointBudgetError) {
    out.limit = e.limit;
    out.requested = e.requested;
  }
  if (e instanceof UnsafePickleError) {
    if (e.global !== undefined) out.global = e.global;
    if (e.opcode !== undefined) out.opcode = e.opcode;
    if (e.offset !== undefined) out.offset = e.offset;
    if (e.record !== undefined) out.record = e.record;
  }
  return out;
}

/**
 * The error `s` describes, as the class the main-thread converter throws, with the same message
 * and fields. A name this package does not throw becomes an `Error` of that name (a bug in the
 * worker, e.g. a RangeError, keeps its kind).
 */
export function deserializeError(s: SerializedError): Error {
  const location = {
    ...(s.offset !== undefined && { offset: s.offset }),
    ...(s.record !== undefined && { record: s.record }),
  };
  switch (s.name) {
    case 'CheckpointBudgetError':
      return new CheckpointBudgetError(s.message, { limit: s.limit ?? 0, requested: s.requested ?? 0 });
    case 'CheckpointFormatError':
      return new CheckpointFormatError(s.message, location);
    case 'CheckpointArchitectureError':
      return new CheckpointArchitectureError(s.message);
    case 'ConvertOptionsError':
      return new ConvertOptionsError(s.message);
    case 'UnsafePickleError':
      return new UnsafePickleError(s.message, {
        ...location,
        ...(s.global !== undefined && { global: s.global }),
        ...(s.opcode !== undefined && { opcode: s.opcode }),
      });
    case 'BagNetConvertError':
      return new BagNetConvertError(s.message);
    case 'AbortError':
      return new BagNetAbortError(s.message);
    case 'BagNetError':
      return new BagNetError(s.message);
    case 'RangeError':
      return new RangeError(s.message);
    case 'TypeError':
      return new TypeError(s.message);
    default: {
      const e = new Error(s.message);
      e.name = s.name;
      return e;
    }
  }
}
