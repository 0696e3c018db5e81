import { BagNetError, printable as escapedText } from '@bagnet-vis/core';

/**
 * Typed errors of the checkpoint reader. Every message says what was wrong, where (byte
 * offset, record or key) and what to do about it.
 */

/** Where in a checkpoint a problem was found. */
export interface CheckpointLocation {
  /** Byte offset into the pickle stream or file, when known. */
  readonly offset?: number;
  /** Record (zip entry or pickle section) the offset refers to, when known. */
  readonly record?: string;
}

/**
 * A name read from a file (zip entry, state_dict key, pickle global) as it may appear in a
 * message: core's one escaping rule (`printable`: control and bidi characters escaped as
 * `\u001b`), cut to at most `max` characters.
 */
export function printable(name: string, max = 120): string {
  return escapedText(name, max);
}

/**
 * Base class of every error thrown by `@bagnet-vis/convert`; a `BagNetError` of
 * `@bagnet-vis/core`, so one `instanceof BagNetError` recognises every error of the project.
 */
export class BagNetConvertError extends BagNetError {
  override readonly name: string = 'BagNetConvertError';

  constructor(message: string, options?: { readonly cause?: unknown }) {
    // BagNetError escapes the message with the same rule as printable.
    super(message, options === undefined || !('cause' in options) ? undefined : { cause: options.cause });
  }
}

/** The bytes are not a PyTorch checkpoint, or the checkpoint is truncated or corrupt. */
export class CheckpointFormatError extends BagNetConvertError {
  override readonly name: string = 'CheckpointFormatError';
  /** Byte offset of the problem, when known. */
  readonly offset: number | undefined;
  /** Record (zip entry, pickle section) or state_dict key involved, when known. */
  readonly record: string | undefined;

  constructor(message: string, location: CheckpointLocation = {}, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.offset = location.offset;
    this.record = location.record;
  }
}

/**
 * Reading the checkpoint would allocate more than the reader's memory budget
 * (`maxBytes` of `readTorchCheckpoint`): refused before the allocation.
 */
export class CheckpointBudgetError extends CheckpointFormatError {
  override readonly name: string = 'CheckpointBudgetError';
  /** The budget in bytes. */
  readonly limit: number;
  /** Bytes the refused step asked for. */
  readonly requested: number;

  constructor(message: string, details: { readonly limit: number; readonly requested: number }) {
    super(message);
    this.limit = details.limit;
    this.requested = details.requested;
  }
}

/** The state_dict does not describe a BagNet (missing/unexpected keys, wrong shapes). */
export class CheckpointArchitectureError extends BagNetConvertError {
  override readonly name: string = 'CheckpointArchitectureError';
}

/**
 * An option of the conversion is unusable: labels that do not match the number of classes or
 * cannot be parsed, an invalid input size, normalisation or stage strides.
 */
export class ConvertOptionsError extends BagNetConvertError {
  override readonly name: string = 'ConvertOptionsError';
}

/**
 * The pickle asks for a global or an opcode outside the allow-list of what a state_dict
 * needs (for example `os.system`). Nothing was imported, called or executed: the reader
 * refuses the file at the opcode that names it.
 */
export class UnsafePickleError extends BagNetConvertError {
  override readonly name: string = 'UnsafePickleError';
  /** Dotted name of the refused global (`'os.system'`), when a global was refused. */
  readonly global: string | undefined;
  /** Name of the refused opcode (`'REDUCE'`, `'INST'`), when an opcode was refused. */
  readonly opcode: string | undefined;
  /** Byte offset of the refused opcode. */
  readonly offset: number | undefined;
  /** Record (zip entry, pickle section) that holds it, when known. */
  readonly record: string | undefined;

  constructor(
    message: string,
    details: {
      readonly global?: string;
      readonly opcode?: string;
      readonly offset?: number;
      readonly record?: string;
    } = {},
  ) {
    super(message);
    this.global = details.global;
    this.opcode = details.opcode;
    this.offset = details.offset;
    this.record = details.record;
  }
}
