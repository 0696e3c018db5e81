/**
 * Typed errors of @bagnet-vis/core. Every message says what was wrong, where, and what to do.
 * Catch by class (`err instanceof BagNetInputError`) or by `err.name`.
 */

/** Base class of every error this package throws on purpose. */
export class BagNetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A model file (model.json, weight shard, metadata) is missing, malformed or inconsistent. */
export class BagNetFormatError extends BagNetError {}

/** An input (image, option, class index) is not usable. */
export class BagNetInputError extends BagNetError {}

/** A requested tfjs backend is unknown or could not be initialised. */
export class BagNetBackendError extends BagNetError {}

/**
 * The operation was cancelled through its `AbortSignal`. Its `name` is `'AbortError'`, as for
 * `fetch`, so generic abort handling recognises it.
 */
export class BagNetAbortError extends BagNetError {
  constructor(message = 'The operation was aborted.', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

/** Throws {@link BagNetAbortError} when `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) {
    throw new BagNetAbortError(`${what} was aborted.`, { cause: signal.reason });
  }
}
